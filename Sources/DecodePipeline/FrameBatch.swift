import ImageCodecs

/// Video frames that are final, converted to 8-bit once as they come from the engine, numbered
/// among the whole result's frames (batch items one after another, as `TensorImages` orders them).
public struct FrameBatch: Sendable, Equatable {
    /// The index of `images[0]` in the result.
    public var first: Int
    /// Frames the whole result will have.
    public var total: Int
    public var images: [RGBImage]
    /// Seconds since the engine started, when these were handed over: the rate so far.
    public var elapsed: Double

    public init(first: Int, total: Int, images: [RGBImage], elapsed: Double) {
        self.first = first
        self.total = total
        self.images = images
        self.elapsed = elapsed
    }

    /// Frames final once these are, counting them.
    public var done: Int { first + images.count }
}

/// Called on the decoding thread for each batch of frames, in order; it should return quickly.
public typealias FrameBatchSink = @Sendable (FrameBatch) -> Void
