import Foundation

/// TAESD's encoder (diffusers `EncoderTiny`): pixels mapped from [-1, 1] to [0, 1], a conv, then per
/// stage a stride-2 conv without bias (the first stage has none) and its blocks, and a conv to the
/// latent channels. Its output is the latent diffusers' `AutoencoderTiny.encode` returns, unscaled.
final class TinyEncoder {
    enum Layer {
        case conv(Conv2D)
        case block(TinyDecoder.Block)
    }

    let layers: [Layer]
    let latentChannels: Int

    /// `layers.0` is the first conv; the index runs on through blocks and strided convs as in diffusers'
    /// `nn.Sequential`. `latentChannels` is for a random store, which has no last layer to read it off.
    init(weights: WeightStore, latentChannels given: Int? = nil, blocks: [Int] = [1, 3, 3, 3], channels: Int = 64) throws {
        guard given != nil || weights.has("encoder.layers.0.weight") else {
            throw NativeError.unsupportedModel(
                "these weights have no encoder (no 'encoder.layers.0.weight'); a TAESD file with its encoder is needed to encode")
        }
        var layers: [Layer] = [.conv(try makeConv("encoder.layers.0", input: 3, output: channels, kernel: 3, weights: weights))]
        var index = 1
        for (stage, count) in blocks.enumerated() {
            if stage > 0 {
                let conv = try makeConv(
                    "encoder.layers.\(index)", input: channels, output: channels, kernel: 3, weights: weights, bias: false, stride: 2,
                    padding: (1, 1))
                layers.append(.conv(conv))
                index += 1
            }
            for _ in 0..<count {
                let convs = try (0..<3).map {
                    try makeConv("encoder.layers.\(index).conv.\($0 * 2)", input: channels, output: channels, kernel: 3, weights: weights)
                }
                layers.append(.block(TinyDecoder.Block(convs: convs)))
                index += 1
            }
        }
        guard let latent = given ?? weights.shape(of: "encoder.layers.\(index).weight")?.first else {
            throw NativeError.missingTensor("encoder.layers.\(index).weight")
        }
        layers.append(.conv(try makeConv("encoder.layers.\(index)", input: channels, output: latent, kernel: 3, weights: weights)))
        self.layers = layers
        latentChannels = latent
        let leftovers = weights.unused(prefix: "encoder.")
        guard leftovers.isEmpty else {
            throw NativeError.badConfig(
                "the TAESD encoder weights hold tensors it does not use: \(leftovers.prefix(5).joined(separator: ", "))")
        }
    }

    /// Pixels per latent cell: three stride-2 stages.
    let spatialFactor = 8

    /// One image `[3, H, W]` in [-1, 1] → the latent `[C, H/8, W/8]`.
    func encode(_ image: FeatureMap, context: DNNL) throws -> FeatureMap {
        var input = image
        input.data = input.data.map { ($0 + 1) / 2 }
        var h = try Activation(input, type: .f32, context: context)
        for (position, layer) in layers.enumerated() {
            switch layer {
            case .conv(let conv):
                h = try conv(h, output: position == layers.count - 1 ? .f32 : nil, context: context)
            case .block(let block): h = try block(h, context: context)
            }
        }
        return try h.featureMap(context: context)
    }
}
