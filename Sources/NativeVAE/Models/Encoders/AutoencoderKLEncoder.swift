import Foundation

/// diffusers' AutoencoderKL `Encoder` (SD v1, SDXL and Flux VAEs share it) and `quant_conv`, f32 on
/// oneDNN: pixels `[3, H, W]` in [-1, 1] → the diagonal Gaussian's mean and log-variance.
final class AutoencoderKLEncoder {
    let config: AutoencoderKLConfig
    let convIn: Conv2D
    let downBlocks: [(resnets: [ResnetBlock], downsample: Conv2D?)]
    let midResnets: [ResnetBlock]
    let midAttention: AttentionBlock?
    let normOut: GroupNorm
    let convOut: Conv2D
    let quantConv: Conv2D?

    init(config: AutoencoderKLConfig, weights: WeightStore) throws {
        self.config = config
        let groups = config.normGroups
        let moments = 2 * config.latentChannels
        let channels = config.blockOutChannels
        convIn = try makeConv("encoder.conv_in", input: 3, output: channels[0], kernel: 3, weights: weights)
        var input = channels[0]
        var blocks: [(resnets: [ResnetBlock], downsample: Conv2D?)] = []
        for (index, output) in channels.enumerated() {
            let resnets = try (0..<config.layersPerBlock).map { j in
                try ResnetBlock(
                    "encoder.down_blocks.\(index).resnets.\(j)", input: j == 0 ? input : output, output: output, groups: groups,
                    weights: weights)
            }
            // Downsample2D pads (0, 1, 0, 1) with zeros, then convolves 3×3 at stride 2 without padding.
            let downsample =
                index == channels.count - 1
                ? nil
                : try makeConv(
                    "encoder.down_blocks.\(index).downsamplers.0.conv", input: output, output: output, kernel: 3, weights: weights,
                    stride: 2, padding: (0, 1))
            blocks.append((resnets, downsample))
            input = output
        }
        downBlocks = blocks
        let top = channels.last!
        midResnets = try (0..<2).map {
            try ResnetBlock("encoder.mid_block.resnets.\($0)", input: top, output: top, groups: groups, weights: weights)
        }
        midAttention =
            config.midBlockAttention
            ? try AttentionBlock("encoder.mid_block.attentions.0", channels: top, groups: groups, weights: weights) : nil
        normOut = try makeGroupNorm("encoder.conv_norm_out", channels: top, groups: groups, weights: weights)
        convOut = try makeConv("encoder.conv_out", input: top, output: moments, kernel: 3, weights: weights)
        quantConv =
            config.useQuantConv ? try makeConv("quant_conv", input: moments, output: moments, kernel: 1, weights: weights) : nil
        let leftovers = weights.unused(prefix: "encoder.") + weights.unused(prefix: "quant_conv.")
        guard leftovers.isEmpty else {
            throw NativeError.badConfig(
                "the encoder weights hold tensors this config does not use: \(leftovers.prefix(5).joined(separator: ", "))")
        }
    }

    /// Pixels per latent cell.
    var spatialFactor: Int { 1 << (config.blockOutChannels.count - 1) }

    /// Encoder and quant_conv on one image `[3, H, W]`: the `[2C, H/f, W/f]` moments, which
    /// `_tiled_encode` blends before any clamp.
    func moments(_ image: FeatureMap, context: DNNL) throws -> FeatureMap {
        var h = try Activation(image, type: .f32, context: context)
        h = try convIn(h, context: context)
        for block in downBlocks {
            for resnet in block.resnets { h = try resnet(h, context: context) }
            if let downsample = block.downsample { h = try downsample(h, context: context) }
        }
        h = try midResnets[0](h, context: context)
        if let midAttention { h = try midAttention(h, context: context) }
        h = try midResnets[1](h, context: context)
        try normOut.apply(&h, silu: true, context: context)
        h = try convOut(h, output: .f32, context: context)
        if let quantConv { h = try quantConv(h, output: .f32, context: context) }
        return try h.featureMap(context: context)
    }

    /// `DiagonalGaussianDistribution`: the moments' halves, mean and log-variance, each `[C, H/f, W/f]`;
    /// the log-variance clamped to [-30, 20].
    func distribution(_ moments: FeatureMap) -> (mean: FeatureMap, logVariance: FeatureMap) {
        let latent = config.latentChannels
        let plane = moments.plane
        let mean = FeatureMap(
            channels: latent, height: moments.height, width: moments.width, data: Array(moments.data[0..<(latent * plane)]))
        let logVariance = FeatureMap(
            channels: latent, height: moments.height, width: moments.width,
            data: moments.data[(latent * plane)...].map { min(max($0, -30), 20) })
        return (mean, logVariance)
    }
}
