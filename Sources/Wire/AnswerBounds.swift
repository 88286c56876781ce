import LatentKit

/// The largest answer a decode request can legitimately get, worked out from the request alone, so
/// an endpoint's headers and body are judged before anything is allocated for them.
public struct AnswerBounds: Sendable, Equatable {
    /// Latents in the request's batch.
    public var batch: Int
    /// Frames per latent: 1 for images, else what the largest temporal factor makes of the latent's frames.
    public var frames: Int
    public var height: Int
    public var width: Int

    /// The most any VAE latentty knows scales a latent pixel by; user presets stay within it.
    public static let maxSpatialFactor = 16
    public static let maxTemporalFactor = 8
    /// Room for container overhead (PNG chunks, an MP4's boxes) beyond the pixels themselves.
    static let slack = 1 << 20

    public init(batch: Int, frames: Int, height: Int, width: Int) {
        self.batch = batch
        self.frames = frames
        self.height = height
        self.width = width
    }

    /// The bounds for `parameters`, nil when its shape is not one a decode takes.
    public init?(_ parameters: DecodeParameters) {
        let shape = parameters.shape
        switch shape.count {
        case 3:
            // Packed (Flux) latents carry the image size in the request.
            guard let height = parameters.height, let width = parameters.width else { return nil }
            self.init(batch: shape[0], frames: 1, height: height, width: width)
        case 4:
            self.init(batch: shape[0], frames: 1, height: shape[2] * Self.maxSpatialFactor, width: shape[3] * Self.maxSpatialFactor)
        case 5:
            self.init(
                batch: shape[0], frames: shape[2] * Self.maxTemporalFactor, height: shape[3] * Self.maxSpatialFactor,
                width: shape[4] * Self.maxSpatialFactor)
        default:
            return nil
        }
    }

    /// Bytes of the largest answer: every frame as float32 pixels, plus container slack; nil past `Int`.
    public var maxBytes: Int? {
        var total = 3 * 4
        for factor in [batch, frames, height, width] {
            let (product, overflow) = total.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            total = product
        }
        let (withSlack, overflow) = total.addingReportingOverflow(Self.slack)
        return overflow ? nil : withSlack
    }

    /// Checks a tensor answer's shape: uint8 `[N,H,W,3]` (partial post-processing), else float
    /// `[B,3,H,W]` or `[B,3,F,H,W]`, no dimension zero or larger than this request can produce.
    public func check(shape: [Int], dtype: DType) -> String? {
        func within(_ size: Int, _ limit: Int) -> Bool { size >= 1 && size <= limit }
        let expected: String
        let fits: Bool
        if dtype == .uint8 {
            expected = "uint8 [N, H, W, 3] with N ≤ \(batch * frames), H ≤ \(height), W ≤ \(width)"
            fits =
                shape.count == 4 && shape[3] == 3 && within(shape[0], batch * frames) && within(shape[1], height)
                && within(shape[2], width)
        } else if frames > 1 {
            expected = "float [B, 3, F, H, W] with B ≤ \(batch), F ≤ \(frames), H ≤ \(height), W ≤ \(width)"
            fits =
                dtype.isFloatingPoint && dtype.byteSize <= 4 && shape.count == 5 && within(shape[0], batch) && shape[1] == 3
                && within(shape[2], frames) && within(shape[3], height) && within(shape[4], width)
        } else {
            expected = "float [B, 3, H, W] with B ≤ \(batch), H ≤ \(height), W ≤ \(width)"
            fits =
                dtype.isFloatingPoint && dtype.byteSize <= 4 && shape.count == 4 && within(shape[0], batch) && shape[1] == 3
                && within(shape[2], height) && within(shape[3], width)
        }
        return fits ? nil : "a \(dtype.rawValue) tensor of shape \(shape.shapeText), but this request can only give \(expected)"
    }
}
