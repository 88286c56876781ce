import Foundation

/// TAESD's decoder (diffusers `DecoderTiny`): `tanh(x/3)·3`, conv + ReLU, then blocks of
/// [3 × Block, 2× upsample, conv without bias] and a final Block and conv to RGB; the output,
/// in [0, 1], is mapped to [-1, 1] as diffusers does.
final class TinyDecoder {
    struct Block {
        let convs: [Conv2D]

        /// relu(x + conv(relu(conv(relu(conv(x)))))), the addition and last ReLU fused into the third conv.
        func callAsFunction(_ x: consuming Activation, context: DNNL) throws -> Activation {
            let h = try convs[1](convs[0](x, relu: true, context: context), relu: true, context: context)
            try convs[2].accumulate(h, into: &x, relu: true, context: context)
            return x
        }
    }

    enum Layer {
        case conv(Conv2D, relu: Bool)
        case block(Block)
        /// 2× nearest upsampling and the convolution after it, which reads the small input directly.
        case upsamplingConv(Conv2D)
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
            if !final { index += 1 }
            let conv = try makeConv(
                "decoder.layers.\(index)", input: channels, output: final ? 3 : channels, kernel: 3, weights: weights, bias: final)
            layers.append(final ? .conv(conv, relu: false) : .upsamplingConv(conv))
            index += 1
        }
        self.layers = layers
        let leftovers = weights.unused(prefix: "decoder.")
        guard leftovers.isEmpty else { throw NativeError.unexpectedTensors(leftovers) }
    }

    /// Diffusion-space latent `[C, H, W]` → pixels `[3, 8H, 8W]` in [-1, 1].
    func decode(_ latent: FeatureMap, context: DNNL) throws -> FeatureMap {
        var input = latent
        input.data = input.data.map { tanhf($0 / 3) * 3 }
        var h = try Activation(input, type: .f32, context: context)
        for layer in layers {
            switch layer {
            case .conv(let conv, let relu): h = try conv(h, relu: relu, context: context)
            case .block(let block): h = try block(h, context: context)
            case .upsamplingConv(let conv): h = try conv.upsampling(h, context: context)
            }
        }
        var image = try h.featureMap(context: context)
        image.data = image.data.map { $0 * 2 - 1 }
        return image
    }
}
