import Foundation

/// TAESD's decoder (diffusers `DecoderTiny`): `tanh(x/3)·3`, conv + ReLU, then blocks of
/// [3 × Block, 2× upsample, conv without bias] and a final Block and conv to RGB; the output,
/// in [0, 1], is mapped to [-1, 1] as diffusers does.
final class TinyDecoder {
    struct Block {
        let convs: [Conv2D]

        func callAsFunction(_ x: FeatureMap, context: DNNL) throws -> FeatureMap {
            var h = try convs[0](x, context: context)
            h.applyReLU()
            h = try convs[1](h, context: context)
            h.applyReLU()
            h = try convs[2](h, context: context)
            h.add(x)
            h.applyReLU()
            return h
        }
    }

    enum Layer {
        case conv(Conv2D, relu: Bool)
        case block(Block)
        case upsample
    }

    let layers: [Layer]
    let latentChannels: Int

    init(latentChannels: Int, weights: WeightStore, blocks: [Int] = [3, 3, 3, 1], channels: Int = 64) throws {
        self.latentChannels = latentChannels
        var layers: [Layer] = [
            .conv(try makeConv("decoder.layers.0", input: latentChannels, output: channels, kernel: 3, weights: weights), relu: true)
        ]
        var index = 2
        for (stage, count) in blocks.enumerated() {
            for _ in 0..<count {
                let convs = try (0..<3).map {
                    try makeConv("decoder.layers.\(index).conv.\($0 * 2)", input: channels, output: channels, kernel: 3, weights: weights)
                }
                layers.append(.block(Block(convs: convs)))
                index += 1
            }
            let final = stage == blocks.count - 1
            if !final {
                layers.append(.upsample)
                index += 1
            }
            layers.append(
                .conv(
                    try makeConv(
                        "decoder.layers.\(index)", input: channels, output: final ? 3 : channels, kernel: 3, weights: weights, bias: final),
                    relu: false))
            index += 1
        }
        self.layers = layers
        let leftovers = weights.unused(prefix: "decoder.")
        guard leftovers.isEmpty else { throw NativeError.unexpectedTensors(leftovers) }
    }

    /// Diffusion-space latent `[C, H, W]` → pixels `[3, 8H, 8W]` in [-1, 1].
    func decode(_ latent: FeatureMap, context: DNNL) throws -> FeatureMap {
        var h = latent
        h.data = h.data.map { tanhf($0 / 3) * 3 }
        for layer in layers {
            switch layer {
            case .conv(let conv, let relu):
                h = try conv(h, context: context)
                if relu { h.applyReLU() }
            case .block(let block):
                h = try block(h, context: context)
            case .upsample:
                h = h.upsampled()
            }
        }
        h.data = h.data.map { $0 * 2 - 1 }
        return h
    }
}
