/// diffusers' `HunyuanVideoCausalConv3d` with a 3×3×3 kernel: replicate padding in H and W, time
/// padded at the front with two copies of the first frame. A clip is one channels-last activation
/// with its frames stacked vertically, so the 3-D convolution is three 2-D ones per output frame —
/// one per time tap, each reading its own frame through a view — on latentty's Winograd layer, the
/// later taps adding onto the first. Time padding is then only an index clamp, and time
/// upsampling only an index map (the first frame once, every later frame twice).
final class CausalConv3D {
    let inputs: Int
    let outputs: Int
    /// Output channels as stored: the Winograd layer writes eight at a time, so a layer like
    /// conv_out (3 channels) writes zero-weight channels up to 8 that readers ignore.
    let storedOutputs: Int
    let outputType: ElementType
    /// `taps[k]` multiplies input frame t − 2 + k; only the last carries the bias, as it runs first.
    private let taps: [WinogradLayer]

    init(_ prefix: String, input: Int, output: Int, weights: WeightStore) throws {
        let plain = try weights.values(prefix + ".conv.weight", shape: [output, input, 3, 3, 3])
        let bias = try weights.values(prefix + ".conv.bias", shape: [output])
        let stored = (output + 7) / 8 * 8
        inputs = input
        outputs = output
        storedOutputs = stored
        let computeType: ElementType = weights.precision == .bf16 && NativeRuntime.hasNativeBF16 ? .bf16 : .f32
        outputType = computeType
        // bf16 stores the clip's activations in bf16 (half the memory) but keeps the Winograd
        // products in f32: three taps of bf16-rounded transformed tiles add up their error, which
        // took the test model to 33 dB PSNR against f32 (46 dB with f32 products).
        let operandType = ElementType.f32
        let paddedBias = bias + [Float](repeating: 0, count: stored - output)
        taps = (0..<3).map { k in
            var tap = [Float](repeating: 0, count: stored * input * 9)
            for o in 0..<output {
                for i in 0..<input {
                    for s in 0..<9 { tap[(o * input + i) * 9 + s] = plain[((o * input + i) * 3 + k) * 9 + s] }
                }
            }
            return WinogradLayer(
                inputs: input, outputs: stored, weights: tap, bias: k == 2 ? paddedBias : nil, operandType: operandType,
                stripScratchBytes: 4 << 20)
        }
    }

    /// The convolution of a clip of `frames` frames into a new clip; `upsampled` reads the input
    /// with 2× nearest upsampling in space, and `frameMap` says which input frame each of the
    /// convolution's input frames is (`timeUpsampling` for the temporal upsamplers).
    func callAsFunction(
        _ input: borrowing Activation, frames: Int, upsampled: Bool = false, frameMap: [Int]? = nil, output type: ElementType? = nil,
        context: DNNL
    ) throws -> Activation {
        let map = frameMap ?? Array(0..<frames)
        let scale = upsampled ? 2 : 1
        var result = Activation(
            channels: storedOutputs, height: input.height / frames * scale * map.count, width: input.width * scale,
            type: type ?? outputType)
        try run(input, frames: frames, upsampled: upsampled, frameMap: map, into: &result, accumulate: false, context: context)
        return result
    }

    /// `residual += conv(input)`, frame by frame.
    func accumulate(_ input: borrowing Activation, frames: Int, into residual: inout Activation, context: DNNL) throws {
        precondition(residual.channels == storedOutputs && residual.count == input.pixels * storedOutputs)
        try run(input, frames: frames, upsampled: false, frameMap: Array(0..<frames), into: &residual, accumulate: true, context: context)
    }

    /// The convolution written over its own input's memory where it has fewer output than input
    /// channels (the first resnet of the blocks that narrow, at the decoder's largest sizes), so the
    /// block holds its wide input, the residual and only a few output frames instead of a whole
    /// third clip. Output frame t lands on bytes of input frame ⌊t·out/in⌋, which frames from
    /// `firstInPlace` on no longer need (each reads input frames t−2…t); the frames before it are
    /// made first into a small scratch and copied in at the end.
    func replacing(_ input: consuming Activation, frames: Int, context: DNNL) throws -> Activation {
        precondition(input.channels == inputs && input.layout == .channelsLast && input.height % frames == 0)
        guard storedOutputs < inputs, input.type == outputType else { return try self(input, frames: frames, context: context) }
        let firstInPlace = (0..<frames).first { t in (t + 1) * storedOutputs <= (t - 2) * inputs } ?? frames
        let frameHeight = input.height / frames
        let source = LaneAccess(input)
        let scratch = Activation(channels: storedOutputs, height: frameHeight * firstInPlace, width: input.width, type: outputType)
        let output = input.overwritten(channels: storedOutputs)
        try byFrame(
            source, frames: frames, frameHeight: frameHeight, width: output.width, outputs: [LaneAccess(scratch), LaneAccess(output)],
            firstInPlace: firstInPlace, context: context)
        output.pointer.copyMemory(from: scratch.pointer, byteCount: scratch.count * scratch.type.size)
        return output
    }

    /// Every output frame with all three taps before the next frame (frames before `firstInPlace` into
    /// `outputs[0]`, the rest into `outputs[1]`), each tap's weights transformed once for all.
    private func byFrame(
        _ source: LaneAccess, frames: Int, frameHeight: Int, width: Int, outputs: [LaneAccess], firstInPlace: Int, context: DNNL
    ) throws {
        try taps[2].withTransformedWeights(keep: false) { current in
            try taps[1].withTransformedWeights(keep: false) { previous in
                try taps[0].withTransformedWeights(keep: false) { earliest in
                    let weights = [earliest, previous, current]
                    for t in 0..<frames {
                        let destination =
                            t < firstInPlace
                            ? outputs[0].frame(t, height: frameHeight, width: width)
                            : outputs[1].frame(t, height: frameHeight, width: width)
                        for k in [2, 1, 0] {
                            let operands = WinogradLayer.Operands(
                                source: source.frame(max(t - 2 + k, 0), height: frameHeight, width: width), sourceWidth: width,
                                height: frameHeight, width: width, upsampled: false, destination: destination, accumulate: k != 2,
                                relu: false, inPlace: false, padding: .replicate)
                            try taps[k].run(operands, weights: weights[k], context: context)
                        }
                    }
                }
            }
        }
    }

    /// The input frame sequence of diffusers' `HunyuanVideoUpsampleCausal3D` with time upsampling:
    /// the first frame once, each later frame twice.
    static func timeUpsampling(frames: Int) -> [Int] {
        [0] + (1..<max(frames, 1)).flatMap { [$0, $0] }
    }

    private func run(
        _ input: borrowing Activation, frames: Int, upsampled: Bool, frameMap: [Int], into output: inout Activation, accumulate: Bool,
        context: DNNL
    ) throws {
        precondition(input.channels == inputs && input.layout == .channelsLast && output.layout == .channelsLast)
        precondition(input.height % frames == 0 && output.height % frameMap.count == 0)
        let sourceHeight = input.height / frames
        let (height, width) = (output.height / frameMap.count, output.width)
        let source = LaneAccess(input)
        let destination = LaneAccess(output)
        // Each tap's weights are transformed once per call, for all its frames, and released: kept,
        // they would stay resident at four times the plain weights' size (≈ 150 MB more at the
        // real model's peak), for a saving that every frame of the clip already shares.
        // The tap on the current frame runs first: it writes (or, for a residual, adds) with the bias.
        for k in [2, 1, 0] {
            try taps[k].withTransformedWeights(keep: false) { weights in
                for t in frameMap.indices {
                    let operands = WinogradLayer.Operands(
                        source: source.frame(frameMap[max(t - 2 + k, 0)], height: sourceHeight, width: input.width),
                        sourceWidth: input.width, height: height, width: width, upsampled: upsampled,
                        destination: destination.frame(t, height: height, width: width), accumulate: accumulate || k != 2, relu: false,
                        inPlace: false, padding: .replicate)
                    try taps[k].run(operands, weights: weights, context: context)
                }
            }
        }
    }
}

extension LaneAccess {
    /// One frame of a channels-last clip whose frames are stacked vertically.
    func frame(_ index: Int, height: Int, width: Int) -> LaneAccess {
        LaneAccess(base: base + index * height * width * block * type.size, type: type, block: block, pixels: height * width)
    }

    init(base: UnsafeMutableRawPointer, type: ElementType, block: Int, pixels: Int) {
        self.base = base
        self.type = type
        self.block = block
        self.pixels = pixels
    }
}
