import LatentKit
import NativeVAE

/// A stand-in encoder for the suites that test everything around encoding: channel `c` of the
/// latent is the mean of image channel `c mod 3` over each 8×8 block, so every answer is known.
public struct PoolingEncoder: EncodeEngine {
    public let name = "pooling"

    public init() {}

    public func encode(_ images: Tensor, preset: Preset) throws(EngineError) -> EncodedLatent {
        let shape = images.shape
        guard shape.count == 4, shape[1] == 3, shape[2] % 8 == 0, shape[3] % 8 == 0 else {
            throw .unsupportedLayout(engine: name, shape: shape)
        }
        let (batch, height, width, channels) = (shape[0], shape[2] / 8, shape[3] / 8, preset.latentChannels)
        let pixels = images.floatValues()
        var values = [Float](repeating: 0, count: batch * channels * height * width)
        for b in 0..<batch {
            for c in 0..<channels {
                let plane = (b * 3 + c % 3) * shape[2] * shape[3]
                for y in 0..<height {
                    for x in 0..<width {
                        var sum: Float = 0
                        for dy in 0..<8 {
                            for dx in 0..<8 { sum += pixels[plane + (y * 8 + dy) * shape[3] + x * 8 + dx] }
                        }
                        values[((b * channels + c) * height + y) * width + x] = sum / 64
                    }
                }
            }
        }
        do {
            return EncodedLatent(mean: try Tensor(values: values, shape: [batch, channels, height, width]))
        } catch {
            throw .failed(engine: name, reason: error.description)
        }
    }
}
