import LatentKit

/// The weight-free preview decoder: a per-pixel linear map from latent channels to RGB with the
/// factors ComfyUI publishes, upscaled by nearest neighbour so the output has a real VAE's size
/// (and, for video, its 4·(F−1)+1 frames, by repeating).
public struct Latent2RGBEngine: DecodeEngine {
    public let name = "approx"
    /// Keeps a huge video latent from asking for gigabytes of output.
    public let maxOutputBytes: Int

    public init(maxOutputBytes: Int = 2 << 30) {
        self.maxOutputBytes = maxOutputBytes
    }

    public func decode(_ latent: Tensor, preset: Preset) throws(EngineError) -> Tensor {
        try render(latent, preset: preset, handing: false) { _ in }
    }

    /// A video latent is rendered one latent frame at a time, so each one's output frames (one for
    /// the first, `temporal` for each later one) go to `frames` as soon as they are written.
    public func decode(_ latent: Tensor, preset: Preset, frames: FrameSink) throws(EngineError) -> Tensor {
        try render(latent, preset: preset, handing: true, frames: frames)
    }

    private func render(_ latent: Tensor, preset: Preset, handing: Bool, frames sink: FrameSink) throws(EngineError) -> Tensor {
        let shape = latent.shape
        guard shape.count == 4 || shape.count == 5 else { throw .unsupportedLayout(engine: name, shape: shape) }
        let channels = shape[1]
        guard let factors = Latent2RGBFactors.forPreset(preset, channels: channels) else {
            throw .unsupportedChannels(engine: name, channels: channels)
        }
        let batch = shape[0]
        let frames = shape.count == 5 ? shape[2] : 1
        let height = shape[shape.count - 2]
        let width = shape[shape.count - 1]
        let scale = preset.spatialFactor
        let temporal = shape.count == 5 ? (preset.temporalFactor ?? 1) : 1
        let outFrames = shape.count == 5 ? temporal * (frames - 1) + 1 : 1
        let outHeight = height * scale
        let outWidth = width * scale
        let outCount = batch * 3 * outFrames * outHeight * outWidth
        guard outCount * 4 <= maxOutputBytes else {
            throw .outputTooLarge(engine: name, bytes: outCount * 4, limit: maxOutputBytes)
        }
        // Factors apply to diffusion-space latents.
        let values = preset.toDiffusionSpace(latent).floatValues()
        let plane = height * width
        var output = [Float](repeating: 0, count: outCount)
        output.withUnsafeMutableBufferPointer { out in
            var rgb = [Float](repeating: 0, count: 3 * plane)
            for b in 0..<batch {
                for f in 0..<frames {
                    // Small: one latent frame's RGB at latent resolution.
                    for pixel in 0..<plane {
                        for c in 0..<3 {
                            var sum = factors.bias[c]
                            for k in 0..<channels {
                                sum += values[((b * channels + k) * frames + f) * plane + pixel] * factors.weights[k][c]
                            }
                            rgb[c * plane + pixel] = min(max(sum, -1), 1)
                        }
                    }
                    // Causal video VAEs give the first latent frame one frame, every later one `temporal`.
                    let firstOut = f == 0 ? 0 : temporal * (f - 1) + 1
                    let repeats = f == 0 ? 1 : temporal
                    for t in firstOut..<(firstOut + repeats) {
                        for c in 0..<3 {
                            let base = ((b * 3 + c) * outFrames + t) * outHeight * outWidth
                            for y in 0..<outHeight {
                                let row = rgb[(c * plane + (y / scale) * width)...]
                                for x in 0..<outWidth {
                                    out[base + y * outWidth + x] = row[row.startIndex + x / scale]
                                }
                            }
                        }
                    }
                    if handing, shape.count == 5 {
                        Self.hand(
                            out, item: b, first: firstOut, count: repeats, of: outFrames, height: outHeight, width: outWidth, to: sink)
                    }
                }
            }
        }
        let outShape = shape.count == 5 ? [batch, 3, outFrames, outHeight, outWidth] : [batch, 3, outHeight, outWidth]
        do {
            return try Tensor(values: output, shape: outShape)
        } catch {
            throw .unsupportedLayout(engine: name, shape: shape)
        }
    }
}

extension Latent2RGBEngine {
    /// Frames `first..<first+count` of item `item`, copied out of the `[B,3,F,H,W]` output being written.
    fileprivate static func hand(
        _ out: UnsafeMutableBufferPointer<Float>, item: Int, first: Int, count: Int, of frames: Int, height: Int, width: Int,
        to sink: FrameSink
    ) {
        let size = height * width
        var values: [Float] = []
        values.reserveCapacity(3 * count * size)
        for c in 0..<3 {
            let base = ((item * 3 + c) * frames + first) * size
            values += out[base..<(base + count * size)]
        }
        guard let pixels = try? Tensor(values: values, shape: [3, count, height, width]) else { return }
        sink(DecodedFrames(item: item, first: first, total: frames, pixels: pixels))
    }
}

/// ComfyUI's published latent→RGB factors (`comfy/latent_formats.py`): rows are latent channels,
/// columns R, G, B; applied to diffusion-space latents.
public struct Latent2RGBFactors: Sendable, Equatable {
    public let weights: [[Float]]
    public let bias: [Float]

    /// By preset id for the built-ins; by channel count for presets of one's own.
    public static func forPreset(_ preset: Preset, channels: Int) -> Latent2RGBFactors? {
        let byID: [String: Latent2RGBFactors] = ["sd15": .sd15, "sdxl": .sdxl, "flux": .flux, "hunyuanvideo": .hunyuanVideo]
        if let factors = byID[preset.id], factors.weights.count == channels { return factors }
        switch channels {
        case 4: return preset.isVideo ? nil : .sd15
        case 16: return preset.isVideo ? .hunyuanVideo : .flux
        default: return nil
        }
    }

    public static let sd15 = Latent2RGBFactors(
        weights: [[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350], [-0.2829, 0.1762, 0.2721], [-0.2120, -0.2616, -0.7177]],
        bias: [0, 0, 0])

    public static let sdxl = Latent2RGBFactors(
        weights: [[0.3651, 0.4232, 0.4341], [-0.2533, -0.0042, 0.1068], [0.1076, 0.1111, -0.0362], [-0.3165, -0.2492, -0.2188]],
        bias: [0.1084, -0.0175, -0.0011])

    public static let flux = Latent2RGBFactors(
        weights: [
            [-0.0346, 0.0244, 0.0681], [0.0034, 0.0210, 0.0687], [0.0275, -0.0668, -0.0433], [-0.0174, 0.0160, 0.0617],
            [0.0859, 0.0721, 0.0329], [0.0004, 0.0383, 0.0115], [0.0405, 0.0861, 0.0915], [-0.0236, -0.0185, -0.0259],
            [-0.0245, 0.0250, 0.1180], [0.1008, 0.0755, -0.0421], [-0.0515, 0.0201, 0.0011], [0.0428, -0.0012, -0.0036],
            [0.0817, 0.0765, 0.0749], [-0.1264, -0.0522, -0.1103], [-0.0280, -0.0881, -0.0499], [-0.1262, -0.0982, -0.0778],
        ],
        bias: [-0.0329, -0.0718, -0.0851])

    public static let hunyuanVideo = Latent2RGBFactors(
        weights: [
            [-0.0395, -0.0331, 0.0445], [0.0696, 0.0795, 0.0518], [0.0135, -0.0945, -0.0282], [0.0108, -0.0250, -0.0765],
            [-0.0209, 0.0032, 0.0224], [-0.0804, -0.0254, -0.0639], [-0.0991, 0.0271, -0.0669], [-0.0646, -0.0422, -0.0400],
            [-0.0696, -0.0595, -0.0894], [-0.0799, -0.0208, -0.0375], [0.1166, 0.1627, 0.0962], [0.1165, 0.0432, 0.0407],
            [-0.2315, -0.1920, -0.1355], [-0.0270, 0.0401, -0.0821], [-0.0616, -0.0997, -0.0727], [0.0249, -0.0469, -0.1703],
        ],
        bias: [0.0259, -0.0192, -0.0761])
}
