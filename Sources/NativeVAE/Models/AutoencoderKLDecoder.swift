import Foundation
import LatentKit

/// The shape of an AutoencoderKL (decoder and encoder), from `config.json` (diffusers names).
public struct AutoencoderKLConfig: Sendable, Equatable {
    public var latentChannels: Int
    public var blockOutChannels: [Int]
    public var layersPerBlock: Int
    public var normGroups: Int
    public var usePostQuantConv: Bool
    /// Whether the encoder's moments pass a 1×1 `quant_conv` (SD v1, SDXL; not Flux).
    public var useQuantConv = true
    public var midBlockAttention: Bool
    /// The image side the model was trained at (`sample_size`): tiles are this big.
    public var sampleSize: Int

    /// SD v1 / SDXL / Flux VAEs: 4 blocks of [128, 256, 512, 512], 2 layers, 32 groups.
    public static func standard(latentChannels: Int, postQuantConv: Bool) -> AutoencoderKLConfig {
        AutoencoderKLConfig(
            latentChannels: latentChannels, blockOutChannels: [128, 256, 512, 512], layersPerBlock: 2, normGroups: 32,
            usePostQuantConv: postQuantConv, midBlockAttention: true, sampleSize: 512)
    }

    public static func load(_ url: URL) throws -> AutoencoderKLConfig {
        guard let data = try? Data(contentsOf: url), let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NativeError.badConfig("\(url.path) is not a JSON object")
        }
        guard let blocks = json["block_out_channels"] as? [Int], !blocks.isEmpty, let latent = json["latent_channels"] as? Int else {
            throw NativeError.badConfig("\(url.path) lacks block_out_channels or latent_channels")
        }
        var config = AutoencoderKLConfig(
            latentChannels: latent, blockOutChannels: blocks, layersPerBlock: json["layers_per_block"] as? Int ?? 2,
            normGroups: json["norm_num_groups"] as? Int ?? 32, usePostQuantConv: json["use_post_quant_conv"] as? Bool ?? true,
            midBlockAttention: json["mid_block_add_attention"] as? Bool ?? true, sampleSize: json["sample_size"] as? Int ?? 512)
        config.useQuantConv = json["use_quant_conv"] as? Bool ?? true
        if let problem = config.problem { throw NativeError.badConfig("\(url.path): \(problem)") }
        return config
    }

    /// What makes the numbers unusable for a decoder, if anything.
    var problem: String? {
        if latentChannels < 1 || blockOutChannels.contains(where: { $0 < 1 }) { return "channel counts must be positive" }
        if layersPerBlock < 1 || sampleSize < 8 { return "layers_per_block and sample_size must be positive" }
        if normGroups < 1 { return "norm_num_groups must be positive" }
        if let odd = blockOutChannels.first(where: { $0 % normGroups != 0 }) {
            return "norm_num_groups \(normGroups) does not divide block_out_channels \(odd)"
        }
        return nil
    }
}

/// ResnetBlock2D: norm1 → SiLU → conv1 → norm2 → SiLU → conv2, plus the (projected) input; the
/// addition is fused into conv2, which writes onto the residual, and conv1 overwrites its own
/// input where it can, so a block holds at most three activations of its size at once.
struct ResnetBlock {
    let norm1: GroupNorm
    let conv1: Conv2D
    let norm2: GroupNorm
    let conv2: Conv2D
    let shortcut: Conv2D?

    init(_ prefix: String, input: Int, output: Int, groups: Int, weights: WeightStore) throws {
        norm1 = try makeGroupNorm(prefix + ".norm1", channels: input, groups: groups, weights: weights)
        conv1 = try makeConv(prefix + ".conv1", input: input, output: output, kernel: 3, weights: weights)
        norm2 = try makeGroupNorm(prefix + ".norm2", channels: output, groups: groups, weights: weights)
        conv2 = try makeConv(prefix + ".conv2", input: output, output: output, kernel: 3, weights: weights)
        shortcut =
            input == output ? nil : try makeConv(prefix + ".conv_shortcut", input: input, output: output, kernel: 1, weights: weights)
    }

    func callAsFunction(_ x: consuming Activation, context: DNNL) throws -> Activation {
        if let shortcut {
            // The projection is taken first so the input can be normalised in place.
            var residual = try shortcut(x, context: context)
            try norm1.apply(&x, silu: true, context: context)
            var h = try conv1.replacing(x, context: context)
            try norm2.apply(&h, silu: true, context: context)
            try conv2.accumulate(h, into: &residual, context: context)
            return residual
        }
        var h = try conv1.replacing(norm1(x, silu: true, context: context), context: context)
        try norm2.apply(&h, silu: true, context: context)
        try conv2.accumulate(h, into: &x, context: context)
        return x
    }
}

/// The VAE's single-head self-attention over all pixels. Channels-last activations are already
/// the row-major [pixels, channels] matrices the products need; the score matrix is made a band
/// of query rows at a time so it never exceeds `scoreBytes`. A clip of `frames` frames stacked
/// vertically gets HunyuanVideo's causal frame mask: a query sees the keys of its own and earlier
/// frames, which in this token order is a prefix of the keys, so each frame's queries are
/// multiplied against that prefix alone (the masked scores would be exactly zero after softmax).
struct AttentionBlock {
    let norm: GroupNorm
    let query: Conv2D
    let key: Conv2D
    let value: Conv2D
    let output: Conv2D
    let matmul = MatMul()
    let softmax = Softmax()
    static let scoreBytes = 64 << 20

    init(_ prefix: String, channels: Int, groups: Int, weights: WeightStore) throws {
        norm = try makeGroupNorm(prefix + ".group_norm", channels: channels, groups: groups, weights: weights)
        query = try makeConv(prefix + ".to_q", input: channels, output: channels, kernel: 1, weights: weights)
        key = try makeConv(prefix + ".to_k", input: channels, output: channels, kernel: 1, weights: weights)
        value = try makeConv(prefix + ".to_v", input: channels, output: channels, kernel: 1, weights: weights)
        output = try makeConv(prefix + ".to_out.0", input: channels, output: channels, kernel: 1, weights: weights)
    }

    func callAsFunction(_ x: consuming Activation, frames: Int = 1, context: DNNL) throws -> Activation {
        let (c, n) = (x.channels, x.pixels)
        precondition(n % frames == 0)
        let perFrame = n / frames
        let attended = Activation(channels: c, height: x.height, width: x.width, type: .f32)
        do {
            let h = try norm(x, silu: false, context: context)
            let q = try query(h, output: .f32, channelsLast: true, context: context)
            let k = try key(h, output: .f32, channelsLast: true, context: context)
            let v = try value(h, output: .f32, channelsLast: true, context: context)
            let band = max(1, min(perFrame, Self.scoreBytes / 4 / n))
            let scores = UnsafeMutableRawPointer.allocate(byteCount: band * n * 4, alignment: 64)
            defer { scores.deallocate() }
            let scale = 1 / Float(c).squareRoot()
            for frame in 0..<frames {
                let keys = (frame + 1) * perFrame
                for first in stride(from: frame * perFrame, to: keys, by: band) {
                    let rows = min(band, keys - first)
                    // scores = q[rows] · kᵀ / √c  (kᵀ is k read with swapped strides)
                    try matmul.multiply(
                        q.pointer + first * c * 4, aStrides: [c, 1], k.pointer, bStrides: [1, c], into: scores, cStrides: [keys, 1],
                        m: rows, k: c, n: keys, scale: scale, context: context)
                    try softmax.apply(scores, rowCount: rows, columns: keys, context: context)
                    try matmul.multiply(
                        scores, aStrides: [keys, 1], v.pointer, bStrides: [c, 1], into: attended.pointer + first * c * 4,
                        cStrides: [c, 1], m: rows, k: keys, n: c, context: context)
                }
            }
        }
        try output.accumulate(attended, into: &x, context: context)
        return x
    }
}

/// diffusers' AutoencoderKL `Decoder` (SD v1, SDXL and Flux VAEs share it), f32 on oneDNN.
final class AutoencoderKLDecoder {
    let config: AutoencoderKLConfig
    let postQuantConv: Conv2D?
    let convIn: Conv2D
    let midResnets: [ResnetBlock]
    let midAttention: AttentionBlock?
    let upBlocks: [(resnets: [ResnetBlock], upsample: Conv2D?)]
    let normOut: GroupNorm
    let convOut: Conv2D

    init(config: AutoencoderKLConfig, weights: WeightStore) throws {
        self.config = config
        let groups = config.normGroups
        let latent = config.latentChannels
        let top = config.blockOutChannels.last!
        postQuantConv =
            config.usePostQuantConv ? try makeConv("post_quant_conv", input: latent, output: latent, kernel: 1, weights: weights) : nil
        convIn = try makeConv("decoder.conv_in", input: latent, output: top, kernel: 3, weights: weights)
        midResnets = try (0..<2).map {
            try ResnetBlock("decoder.mid_block.resnets.\($0)", input: top, output: top, groups: groups, weights: weights)
        }
        midAttention =
            config.midBlockAttention
            ? try AttentionBlock("decoder.mid_block.attentions.0", channels: top, groups: groups, weights: weights) : nil
        let reversed = Array(config.blockOutChannels.reversed())
        var output = reversed[0]
        var blocks: [(resnets: [ResnetBlock], upsample: Conv2D?)] = []
        for (index, channels) in reversed.enumerated() {
            let previous = output
            output = channels
            let resnets = try (0...config.layersPerBlock).map { j in
                try ResnetBlock(
                    "decoder.up_blocks.\(index).resnets.\(j)", input: j == 0 ? previous : output, output: output, groups: groups,
                    weights: weights)
            }
            let upsample =
                index == reversed.count - 1
                ? nil
                : try makeConv("decoder.up_blocks.\(index).upsamplers.0.conv", input: output, output: output, kernel: 3, weights: weights)
            blocks.append((resnets, upsample))
        }
        upBlocks = blocks
        normOut = try makeGroupNorm("decoder.conv_norm_out", channels: output, groups: groups, weights: weights)
        convOut = try makeConv("decoder.conv_out", input: output, output: 3, kernel: 3, weights: weights)
        let leftovers = weights.unused(prefix: "decoder.") + weights.unused(prefix: "post_quant_conv.")
        guard leftovers.isEmpty else { throw NativeError.unexpectedTensors(leftovers) }
    }

    /// One VAE-space latent `[C, H, W]` → pixels `[3, H·s, W·s]` in about [-1, 1].
    func decode(_ latent: FeatureMap, context: DNNL) throws -> FeatureMap {
        var h = try Activation(latent, type: .f32, context: context)
        if let postQuantConv { h = try postQuantConv(h, context: context) }
        h = try convIn(h, context: context)
        h = try midResnets[0](h, context: context)
        if let midAttention { h = try midAttention(h, context: context) }
        h = try midResnets[1](h, context: context)
        for block in upBlocks {
            for resnet in block.resnets { h = try resnet(h, context: context) }
            if let upsample = block.upsample { h = try upsample.upsampling(h, context: context) }
        }
        try normOut.apply(&h, silu: true, context: context)
        return try convOut(h, output: .f32, context: context).featureMap(context: context)
    }

    /// Pixels per latent cell.
    var spatialFactor: Int { 1 << (config.blockOutChannels.count - 1) }
}

func makeConv(
    _ prefix: String, input: Int, output: Int, kernel: Int, weights: WeightStore, bias: Bool = true, stride: Int = 1,
    padding: (before: Int, after: Int)? = nil
) throws -> Conv2D {
    Conv2D(
        inChannels: input, outChannels: output, kernel: kernel,
        weights: try weights.values(prefix + ".weight", shape: [output, input, kernel, kernel]),
        bias: bias ? try weights.values(prefix + ".bias", shape: [output]) : nil, stride: stride, padding: padding,
        precision: weights.precision, winograd: weights.winograd)
}

func makeGroupNorm(_ prefix: String, channels: Int, groups: Int, weights: WeightStore) throws -> GroupNorm {
    GroupNorm(
        groups: groups, epsilon: 1e-6, weight: try weights.values(prefix + ".weight", shape: [channels]),
        bias: try weights.values(prefix + ".bias", shape: [channels]))
}
