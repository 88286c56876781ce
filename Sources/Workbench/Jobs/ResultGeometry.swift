import LatentKit

/// What a job's result is, as far as showing and comparing it goes: image or video, and its size in
/// pixels, told from the latent and its preset before anything is decoded, and kept in the journal.
public struct ResultGeometry: Sendable, Equatable, Codable, CustomStringConvertible {
    public var isVideo: Bool
    public var width: Int
    public var height: Int

    public init(isVideo: Bool, width: Int, height: Int) {
        self.isVideo = isVideo
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)×\(height) \(isVideo ? "video" : "image")" }
}

extension DecodeJob {
    /// The geometry of this job's result; nil when the latent does not fit its preset.
    public var resultGeometry: ResultGeometry? {
        if case .encode(let source) = work {
            return ResultGeometry(isVideo: false, width: source.image.width, height: source.image.height)
        }
        guard let layout = try? layout() else { return nil }
        let factor = preset.spatialFactor
        let shape = latent.shape
        if case .packed(_, let tokens, _) = layout {
            guard
                let (h, w) = try? FluxPacking.latentSize(
                    tokens: tokens, height: options.height, width: options.width, spatialFactor: factor)
            else { return nil }
            return ResultGeometry(isVideo: false, width: options.width ?? w * factor, height: options.height ?? h * factor)
        }
        guard shape.count >= 4 else { return nil }
        return ResultGeometry(
            isVideo: shape.count == 5 || preset.isVideo, width: shape[shape.count - 1] * factor, height: shape[shape.count - 2] * factor)
    }
}
