import Foundation

/// Builds `TAEHVDecoder` from a taehv state dict (`decoder.N…` keys, as in `taehv.safetensors` /
/// `taehv.pth`; `encoder.*` is ignored). Everything the layer list needs is read off the weights:
/// the widths from the convolutions, each TGrow's stride from its output channels. The spatial
/// upsampling has no weights to tell; every published checkpoint upsamples 2× in all three stages,
/// and so does this decoder.
extension TAEHVDecoder {
    /// Index of each stage's first MemBlock in `decoder`; the stage's TGrow is 4 after it, its
    /// projection 5 after (3 is the parameter-free upsampling).
    static let stageStarts = [3, 9, 15]
    static let inputConv = "decoder.1"
    static let outputConv = "decoder.22"

    convenience init(weights: WeightStore, fileName: String = "") throws {
        guard let inputShape = weights.shape(of: Self.inputConv + ".weight"), inputShape.count == 4 else {
            throw NativeError.missingTensor(Self.inputConv + ".weight")
        }
        guard let outputShape = weights.shape(of: Self.outputConv + ".weight"), outputShape.count == 4 else {
            throw NativeError.missingTensor(Self.outputConv + ".weight")
        }
        try TAEHVVariant.check(latentChannels: inputShape[1], outputChannels: outputShape[0], fileName: fileName)
        var widths = [inputShape[0]]
        var strides: [Int] = []
        for start in Self.stageStarts {
            let growName = "decoder.\(start + 4).conv.weight"
            guard let growShape = weights.shape(of: growName) else { throw NativeError.missingTensor(growName) }
            let width = widths[widths.count - 1]
            guard growShape.count == 4, growShape[1] == width, [width, 2 * width].contains(growShape[0]) else {
                throw NativeError.wrongShape(name: growName, expected: [width * 2, width, 1, 1], actual: growShape)
            }
            strides.append(growShape[0] / width)
            let projectName = "decoder.\(start + 5).weight"
            guard let next = weights.shape(of: projectName)?.first else { throw NativeError.missingTensor(projectName) }
            widths.append(next)
        }
        try self.init(latentChannels: inputShape[1], widths: widths, strides: strides, weights: weights)
        let leftovers = weights.unused(prefix: "decoder.")
        guard leftovers.isEmpty else { throw NativeError.unexpectedTensors(leftovers) }
    }

    /// The decoder with these stage widths (taehv: [256, 128, 64, 64]) and TGrow strides
    /// (taehv: [1, 2, 2]), its tensors read from `weights` by taehv's names.
    convenience init(latentChannels: Int, widths: [Int], strides: [Int], weights: WeightStore) throws {
        precondition(widths.count == Self.stageStarts.count + 1 && strides.count == Self.stageStarts.count)
        let input = try Self.conv(Self.inputConv, input: latentChannels, output: widths[0], weights: weights)
        var stages: [Stage] = []
        for (index, start) in Self.stageStarts.enumerated() {
            let (width, stride) = (widths[index], strides[index])
            let blocks = try (start..<start + 3).map { try Self.memBlock("decoder.\($0).conv", channels: width, weights: weights) }
            let growWeights = try Self.exactly("decoder.\(start + 4).conv.weight", shape: [width * stride, width, 1, 1], weights: weights)
            let grow = (0..<stride).map { frame in
                Conv2D(
                    inChannels: width, outChannels: width, kernel: 1,
                    weights: Array(growWeights[(frame * width * width)..<((frame + 1) * width * width)]), bias: nil,
                    precision: weights.precision, winograd: weights.winograd)
            }
            let project = try Self.conv("decoder.\(start + 5)", input: width, output: widths[index + 1], weights: weights, bias: false)
            stages.append(Stage(blocks: blocks, grow: grow, project: project, relu: index == Self.stageStarts.count - 1))
        }
        let output = try Self.conv(Self.outputConv, input: widths[widths.count - 1], output: 3, weights: weights)
        self.init(latentChannels: latentChannels, input: input, stages: stages, output: output)
    }

    private static func memBlock(_ prefix: String, channels: Int, weights: WeightStore) throws -> MemBlock {
        let first = prefix + ".0"
        let joint = try exactly(first + ".weight", shape: [channels, 2 * channels, 3, 3], weights: weights)
        // cat[x, past]: per output channel, the first half of the input channels read x.
        var (current, previous) = ([Float](), [Float]())
        let half = channels * 9
        for output in 0..<channels {
            current += joint[(output * 2 * half)..<(output * 2 * half + half)]
            previous += joint[(output * 2 * half + half)..<((output + 1) * 2 * half)]
        }
        return MemBlock(
            current: Conv2D(
                inChannels: channels, outChannels: channels, kernel: 3, weights: current,
                bias: try exactly(first + ".bias", shape: [channels], weights: weights), precision: weights.precision,
                winograd: weights.winograd),
            previous: Conv2D(
                inChannels: channels, outChannels: channels, kernel: 3, weights: previous, bias: nil, precision: weights.precision,
                winograd: weights.winograd),
            middle: try conv(prefix + ".2", input: channels, output: channels, weights: weights),
            last: try conv(prefix + ".4", input: channels, output: channels, weights: weights))
    }

    private static func conv(_ prefix: String, input: Int, output: Int, weights: WeightStore, bias: Bool = true) throws -> Conv2D {
        Conv2D(
            inChannels: input, outChannels: output, kernel: 3,
            weights: try exactly(prefix + ".weight", shape: [output, input, 3, 3], weights: weights),
            bias: bias ? try exactly(prefix + ".bias", shape: [output], weights: weights) : nil, precision: weights.precision,
            winograd: weights.winograd)
    }

    /// The values, when the tensor has exactly this shape (a transposed one has the same count).
    private static func exactly(_ name: String, shape: [Int], weights: WeightStore) throws -> [Float] {
        if let actual = weights.shape(of: name), actual != shape {
            throw NativeError.wrongShape(name: name, expected: shape, actual: actual)
        }
        return try weights.values(name, shape: shape)
    }
}

/// The checkpoints madebyollin/taehv publishes share key names; which one a file is shows in its
/// shapes (latent channels at the input, RGB × patch² at the output). This decoder is the
/// patch-size-1, 16-channel one: `taehv` (HunyuanVideo) and `taew2_1` (Wan 2.1).
enum TAEHVVariant {
    static func check(latentChannels: Int, outputChannels: Int, fileName: String) throws {
        let patch = Int(Double(outputChannels / 3).squareRoot())
        switch (latentChannels, outputChannels) {
        case (16, 3):
            // taecvx (CogVideoX) has exactly taehv's shapes; only its name tells it apart, and its
            // clips are aligned differently (taehv.py skips the trim for even lengths).
            if fileName.lowercased().contains("taecvx") {
                throw refusal("taecvx, the tiny decoder for CogVideoX latents (taehv's shapes, but its own frame alignment)")
            }
        case (48, 12): throw refusal("taew2_2, the tiny decoder for Wan 2.2 latents (patch size 2, 48 latent channels)")
        case (32, 12): throw refusal("taehv1_5, the tiny decoder for HunyuanVideo 1.5 latents (patch size 2, 32 latent channels)")
        case (128, _): throw refusal("taeltx_2, the tiny decoder for LTX-Video latents (patch size \(patch), 128 latent channels)")
        default:
            throw NativeError.unsupportedModel(
                "these TAEHV-style weights take \(latentChannels) latent channels and make \(outputChannels) output channels (patch size \(patch)); latentty's TAEHV decoder supports only taehv and taew2_1 (16 channels, patch size 1)"
            )
        }
    }

    private static func refusal(_ variant: String) -> NativeError {
        .unsupportedModel(
            "these weights are \(variant), which latentty does not support; use taehv (HunyuanVideo) or taew2_1 (Wan 2.1) weights")
    }
}
