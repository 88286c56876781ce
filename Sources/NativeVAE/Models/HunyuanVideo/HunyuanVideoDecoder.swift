/// diffusers' `HunyuanVideoResnetBlockCausal3D`: norm1 → SiLU → conv1 → norm2 → SiLU → conv2, plus
/// the input (through a 1×1×1 convolution when the channels change, which is a 2-D 1×1 over the
/// stacked frames). GroupNorm over the stacked clip is GroupNorm over (C, T, H, W).
struct CausalResnetBlock {
    let norm1: GroupNorm
    let conv1: CausalConv3D
    let norm2: GroupNorm
    let conv2: CausalConv3D
    let shortcut: Conv2D?

    init(_ prefix: String, input: Int, output: Int, groups: Int, weights: WeightStore) throws {
        norm1 = try makeGroupNorm(prefix + ".norm1", channels: input, groups: groups, weights: weights)
        conv1 = try CausalConv3D(prefix + ".conv1", input: input, output: output, weights: weights)
        norm2 = try makeGroupNorm(prefix + ".norm2", channels: output, groups: groups, weights: weights)
        conv2 = try CausalConv3D(prefix + ".conv2", input: output, output: output, weights: weights)
        shortcut =
            input == output
            ? nil : try makeConv(prefix + ".conv_shortcut.conv", input: input, output: output, kernel: 1, weights: weights)
    }

    func callAsFunction(_ x: consuming Activation, frames: Int, context: DNNL) throws -> Activation {
        if let shortcut {
            // The projection is taken first so the input can be normalised in place.
            var residual = try shortcut(x, channelsLast: true, context: context)
            try norm1.apply(&x, silu: true, context: context)
            var h = try conv1.replacing(x, frames: frames, context: context)
            try norm2.apply(&h, silu: true, context: context)
            try conv2.accumulate(h, frames: frames, into: &residual, context: context)
            return residual
        }
        var h = try conv1(norm1(x, silu: true, context: context), frames: frames, context: context)
        try norm2.apply(&h, silu: true, context: context)
        try conv2.accumulate(h, frames: frames, into: &x, context: context)
        return x
    }
}

/// diffusers' `HunyuanVideoDecoder3D` with the VAE's post_quant_conv, f32 or bf16. A clip lives in
/// one channels-last activation with its frames stacked vertically (height T·H), which makes
/// GroupNorm over (C, T, H, W) and attention's (t, h, w) token order those of the 2-D layers.
final class HunyuanVideoDecoder {
    struct UpBlock {
        let resnets: [CausalResnetBlock]
        let upsample: CausalConv3D?
        let upsamplesTime: Bool
    }

    let config: HunyuanVideoConfig
    let postQuantConv: Conv2D
    let convIn: CausalConv3D
    let midResnets: [CausalResnetBlock]
    let midAttention: AttentionBlock?
    let upBlocks: [UpBlock]
    let normOut: GroupNorm
    let convOut: CausalConv3D

    init(config: HunyuanVideoConfig, weights: WeightStore) throws {
        if let problem = config.problem { throw NativeError.badConfig(problem) }
        self.config = config
        let groups = config.normGroups
        let latent = config.latentChannels
        let reversed = Array(config.blockOutChannels.reversed())
        let top = reversed[0]
        postQuantConv = try makeConv("post_quant_conv", input: latent, output: latent, kernel: 1, weights: weights)
        convIn = try CausalConv3D("decoder.conv_in", input: latent, output: top, weights: weights)
        midResnets = try (0..<2).map {
            try CausalResnetBlock("decoder.mid_block.resnets.\($0)", input: top, output: top, groups: groups, weights: weights)
        }
        midAttention =
            config.midBlockAttention
            ? try AttentionBlock("decoder.mid_block.attentions.0", channels: top, groups: groups, weights: weights) : nil
        var output = top
        var blocks: [UpBlock] = []
        for (index, channels) in reversed.enumerated() {
            let previous = output
            output = channels
            let resnets = try (0...config.layersPerBlock).map { j in
                try CausalResnetBlock(
                    "decoder.up_blocks.\(index).resnets.\(j)", input: j == 0 ? previous : output, output: output, groups: groups,
                    weights: weights)
            }
            // Blocks 0–2 upsample in space, 1 and 2 in time as well (time_compression_ratio 4).
            let isLast = index == reversed.count - 1
            let upsample =
                isLast
                ? nil : try CausalConv3D("decoder.up_blocks.\(index).upsamplers.0.conv", input: output, output: output, weights: weights)
            blocks.append(UpBlock(resnets: resnets, upsample: upsample, upsamplesTime: index >= 1 && !isLast))
        }
        upBlocks = blocks
        normOut = try makeGroupNorm("decoder.conv_norm_out", channels: output, groups: groups, weights: weights)
        convOut = try CausalConv3D("decoder.conv_out", input: output, output: 3, weights: weights)
        let leftovers = weights.unused(prefix: "decoder.") + weights.unused(prefix: "post_quant_conv.")
        guard leftovers.isEmpty else { throw NativeError.unexpectedTensors(leftovers) }
    }

    /// One VAE-space latent clip `[C, T, h, w]` → pixels `[3, 4·(T−1)+1, 8h, 8w]` in about [-1, 1].
    func decode(_ latent: VideoClip, context: DNNL) throws -> VideoClip {
        var frames = latent.frames
        var h = try Activation(latent.stacked, type: .f32, context: context)
        h = try postQuantConv(h, output: .f32, channelsLast: true, context: context)
        h = try convIn(h, frames: frames, context: context)
        h = try midResnets[0](h, frames: frames, context: context)
        if let midAttention { h = try midAttention(h, frames: frames, context: context) }
        h = try midResnets[1](h, frames: frames, context: context)
        for block in upBlocks {
            for resnet in block.resnets { h = try resnet(h, frames: frames, context: context) }
            guard let upsample = block.upsample else { continue }
            let map = block.upsamplesTime ? CausalConv3D.timeUpsampling(frames: frames) : Array(0..<frames)
            h = try upsample(h, frames: frames, upsampled: true, frameMap: map, context: context)
            frames = map.count
        }
        try normOut.apply(&h, silu: true, context: context)
        let pixels = try convOut(h, frames: frames, output: .f32, context: context)
        return try VideoClip(stacked: pixels, channels: 3, frames: frames, context: context)
    }

    /// Activation bytes at the peak of an untiled decode of `frames` latent frames of h×w: the
    /// last block's first residual block holds its input (the channels of the block before, at full
    /// size), the projected residual and the first convolution's frames made before it can write
    /// over its input (`CausalConv3D.replacing`); the other full-size blocks hold three activations
    /// of their own width. The clip's pixels add three channels in f32. Weights (≈0.6 GB for the
    /// released model in f32) are not counted, as for the image decoders.
    static func estimatedBytes(frames: Int, height: Int, width: Int, config: HunyuanVideoConfig, precision: Precision) -> Int {
        let outputFrames = (frames - 1) * HunyuanVideoConfig.temporalFactor + 1
        let framePixels = height * width * HunyuanVideoConfig.spatialFactor * HunyuanVideoConfig.spatialFactor
        let (wide, narrow) = (config.blockOutChannels[1], config.blockOutChannels[0])
        let firstInPlace = (0..<outputFrames).first { t in (t + 1) * narrow <= (t - 2) * wide } ?? outputFrames
        let narrowing = outputFrames * (wide + narrow) + firstInPlace * narrow
        let size = precision == .bf16 && NativeRuntime.hasNativeBF16 ? 2 : 4
        return framePixels * (max(narrowing, 3 * outputFrames * narrow) * size + outputFrames * 3 * 4)
    }
}
