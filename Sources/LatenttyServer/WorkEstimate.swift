import LatentKit
import Wire

/// The memory a decode request asks for, known from its parameters alone: the decoded float32
/// pixels plus the answer made from them. A body of a few MB can ask for gigabytes (a long video
/// as `pt`), so this is checked before decoding, against `ServerConfiguration.maxWorkBytes`.
struct WorkEstimate: Equatable {
    /// `[N, 3, F, H, W]` of the decoded output (F = 1 for images).
    let outputShape: [Int]
    let bytes: Int

    /// Nil when the shape does not fit the preset; the decoder then says why.
    init?(_ parameters: DecodeParameters, preset: Preset) {
        guard let layout = try? preset.layout(of: parameters.shape, dtype: parameters.dtype, others: []) else { return nil }
        let factor = preset.spatialFactor
        switch layout {
        case .image(let batch, _, let height, let width):
            outputShape = [batch, 3, 1, height * factor, width * factor]
        case .packed(let batch, let tokens, _):
            guard
                let (height, width) = try? FluxPacking.latentSize(
                    tokens: tokens, height: parameters.height, width: parameters.width, spatialFactor: factor)
            else { return nil }
            outputShape = [batch, 3, 1, height * factor, width * factor]
        case .video(let batch, _, let frames, let height, let width):
            let temporal = preset.temporalFactor ?? 1
            outputShape = [batch, 3, temporal * (frames - 1) + 1, height * factor, width * factor]
        }
        let values = outputShape.reduce(1) { Self.saturatingProduct($0, $1) }
        bytes = Self.saturatingProduct(values, 4 + Self.answerBytesPerValue(parameters))
    }

    /// `pt` answers in the latent's dtype; images and video go through 8-bit RGB, then their encoding.
    static func answerBytesPerValue(_ parameters: DecodeParameters) -> Int {
        switch parameters.outputType {
        case .pt where parameters.partialPostprocess: 2
        case .pt: parameters.dtype.byteSize
        case .pil, .mp4: 2
        }
    }

    static func saturatingProduct(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? .max : product
    }
}
