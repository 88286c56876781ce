import CDNNL

/// What a convolution does after the product: add into the destination's current contents (the
/// residual connections), then an activation — all fused into oneDNN's kernel.
struct ConvEpilogue: Hashable {
    var accumulate = false
    var relu = false
}

/// When 3×3 convolutions use latentty's Winograd F(4×4, 3×3) (`WinogradLayer`) instead of
/// oneDNN's direct kernels. Its transformed weights, 6×6 tiles, need four times the memory of the
/// plain 3×3 ones.
public enum WinogradPolicy: Sendable {
    case never
    /// Every 3×3 layer whose channels come in eights; layers whose transformed weights would be
    /// large beside their activations (the wide, low-resolution ones) transform them afresh on each
    /// call, so resident memory stays that of the plain weights.
    case automatic
    /// Every such layer, every transformed weight kept.
    case always
}

/// A 2-D convolution (stride 1, "same" padding, unless a downsampling layer asks for a stride and
/// its own padding, which only oneDNN's direct kernels run): latentty's Winograd for the 3×3 layers it takes,
/// else a oneDNN direct kernel — in the input's own layout when oneDNN has a fast one for it, else
/// in the layouts oneDNN prefers (the input reordered first). oneDNN's weights are packed once into
/// the kernel's layout and the plain copy dropped.
///
/// Measured per layer (`latentty bench conv`, docs/BENCHMARKS.md): on AVX2 and AVX-512 alike the
/// Winograd layer beats oneDNN's direct kernels on every 3×3 layer of the decoders, and on AVX-512
/// oneDNN's own Winograd as well, so that is the whole rule.
final class Conv2D {
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    let stride: Int
    /// Zero padding before (top, left) and after (bottom, right) the input: diffusers' Downsample2D
    /// pads (0, 1) where every other layer pads kernel/2 on both sides.
    let padding: (before: Int, after: Int)
    /// bf16 runs inputs and weights in bfloat16 with f32 accumulation where the CPU has bf16
    /// instructions; elsewhere bf16 runs as f32 (`NativeRuntime.bf16Fallback` says why).
    let computeType: ElementType
    let winograd: WinogradPolicy
    private var plainWeights: [Float]?
    private var plainBias: [Float]?
    private var packedWeights: DNNLMemory?
    private var biasMemory: DNNLMemory?
    private var compiled: [Key: Compiled] = [:]
    /// latentty's own Winograd, for the 3×3 layers whose channels come in eights.
    private let ownWinograd: WinogradLayer?

    private struct Key: Hashable {
        /// The input's size (the output's too, at stride 1).
        let height: Int
        let width: Int
        let inputLayout: ActivationLayout
        let output: ElementType
        /// The destination's layout when the caller fixes it (accumulating, or asking for channels last).
        let outputLayout: ActivationLayout?
        let epilogue: ConvEpilogue
    }

    private struct Compiled {
        let primitive: DNNLPrimitive
        let sourceLayout: ActivationLayout
        let outputLayout: ActivationLayout
    }

    init(
        inChannels: Int, outChannels: Int, kernel: Int, weights: [Float], bias: [Float]?, stride: Int = 1,
        padding: (before: Int, after: Int)? = nil, precision: Precision = .f32, winograd: WinogradPolicy = .automatic,
        stripScratchBytes: Int = 4 << 20,
        minimumStripTiles: Int = WinogradLayer.defaultMinimumStripTiles
    ) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding ?? (kernel / 2, kernel / 2)
        let computeType: ElementType = precision == .bf16 && NativeRuntime.hasNativeBF16 ? .bf16 : .f32
        self.computeType = computeType
        self.winograd = winograd
        if kernel == 3, stride == 1, padding == nil, winograd != .never, WinogradLayer.supports(inputs: inChannels, outputs: outChannels) {
            // F(4×4, 3×3) magnifies bf16's rounding by its ±8 output coefficients; on the SD decoders'
            // 512-channel layers that alone costs ~8 dB of PSNR (docs/BENCHMARKS.md), so those keep
            // f32 operands and bf16 goes where it stays above 40 dB.
            let operandType: ElementType = max(inChannels, outChannels) <= 256 ? computeType : .f32
            ownWinograd = WinogradLayer(
                inputs: inChannels, outputs: outChannels, weights: weights, bias: bias, operandType: operandType,
                stripScratchBytes: stripScratchBytes, minimumStripTiles: minimumStripTiles)
        } else {
            ownWinograd = nil
            plainWeights = weights
            plainBias = bias
        }
    }

    /// The convolution of `input` into a new activation of `output` type (the compute type by
    /// default), channels last when asked, else in the input's layout or the one the kernel prefers.
    func callAsFunction(
        _ input: borrowing Activation, output: ElementType? = nil, channelsLast: Bool = false, relu: Bool = false, context: DNNL
    ) throws -> Activation {
        try convolve(input, upsampled: false, output: output, channelsLast: channelsLast, relu: relu, context: context)
    }

    /// The convolution of `input` upsampled 2× (nearest); the Winograd layers read the small input
    /// directly and never hold the upsampled image.
    func upsampling(_ input: borrowing Activation, relu: Bool = false, context: DNNL) throws -> Activation {
        try convolve(input, upsampled: true, output: nil, channelsLast: false, relu: relu, context: context)
    }

    /// The output's size for an input of this size (floor division, as PyTorch's).
    func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let grow = padding.before + padding.after - kernel
        return ((height + grow) / stride + 1, (width + grow) / stride + 1)
    }

    /// `residual = act(residual + conv(input))`.
    func accumulate(_ input: borrowing Activation, into residual: inout Activation, relu: Bool = false, context: DNNL) throws {
        precondition(residual.channels == outChannels && residual.pixels == input.pixels)
        if let ownWinograd {
            return try ownWinograd.run(
                operands(input, upsampled: false, into: residual, accumulate: true, relu: relu), keepWeights: keepsWeights(residual),
                context: context)
        }
        let key = Key(
            height: input.height, width: input.width, inputLayout: input.layout, output: residual.type, outputLayout: residual.layout,
            epilogue: ConvEpilogue(accumulate: true, relu: relu))
        try run(try compiledLayer(key, context: context), input, into: &residual, context: context)
    }

    /// The convolution written over its own input's memory where the Winograd layer can (no more
    /// output than input channels, and a layout that fits them): peak memory then holds one
    /// activation of this size instead of two. Other layers allocate the output as usual (and free
    /// the input on return).
    func replacing(_ input: consuming Activation, relu: Bool = false, context: DNNL) throws -> Activation {
        guard let ownWinograd, outChannels <= inChannels, input.layout.fits(channels: outChannels) else {
            return try self(input, relu: relu, context: context)
        }
        precondition(input.channels == inChannels)
        let source = LaneAccess(input)
        let output = input.overwritten(channels: outChannels)
        try ownWinograd.run(
            WinogradLayer.Operands(
                source: source, sourceWidth: output.width, height: output.height, width: output.width, upsampled: false,
                destination: LaneAccess(output), accumulate: false, relu: relu, inPlace: true),
            keepWeights: keepsWeights(output), context: context)
        return output
    }

    /// Transformed weights are kept when they are at most half the output activation
    /// (27·in·out floats against out·pixels/2), else made afresh on each call.
    private func keepsWeights(_ output: borrowing Activation) -> Bool {
        winograd == .always || 54 * inChannels <= output.pixels
    }

    private func operands(
        _ input: borrowing Activation, upsampled: Bool, into output: borrowing Activation, accumulate: Bool, relu: Bool
    ) -> WinogradLayer.Operands {
        precondition(input.channels == inChannels && output.channels == outChannels)
        return WinogradLayer.Operands(
            source: LaneAccess(input), sourceWidth: input.width, height: output.height, width: output.width, upsampled: upsampled,
            destination: LaneAccess(output), accumulate: accumulate, relu: relu, inPlace: false)
    }

    private func convolve(
        _ input: borrowing Activation, upsampled: Bool, output: ElementType?, channelsLast: Bool, relu: Bool, context: DNNL
    ) throws -> Activation {
        let scale = upsampled ? 2 : 1
        let (height, width) = (input.height * scale, input.width * scale)
        if let ownWinograd {
            let layout: ActivationLayout = !channelsLast && input.layout.fits(channels: outChannels) ? input.layout : .channelsLast
            let result = Activation(channels: outChannels, height: height, width: width, type: output ?? computeType, layout: layout)
            try ownWinograd.run(
                operands(input, upsampled: upsampled, into: result, accumulate: false, relu: relu), keepWeights: keepsWeights(result),
                context: context)
            return result
        }
        if upsampled {
            return try convolve(input.upsampled(), upsampled: false, output: output, channelsLast: false, relu: relu, context: context)
        }
        let key = Key(
            height: height, width: width, inputLayout: input.layout, output: output ?? computeType,
            outputLayout: channelsLast ? .channelsLast : nil, epilogue: ConvEpilogue(relu: relu))
        let layer = try compiledLayer(key, context: context)
        let size = outputSize(height: height, width: width)
        var result = Activation(
            channels: outChannels, height: size.height, width: size.width, type: key.output, layout: layer.outputLayout)
        try run(layer, input, into: &result, context: context)
        return result
    }

    private func run(_ layer: Compiled, _ input: borrowing Activation, into output: inout Activation, context: DNNL) throws {
        precondition(input.channels == inChannels)
        if input.type != computeType || input.layout != layer.sourceLayout {
            let converted = try input.converted(to: computeType, layout: layer.sourceLayout, context: context)
            return try run(layer, converted, into: &output, context: context)
        }
        try execute(
            layer.primitive, source: try input.memory(context), destination: try output.memory(context),
            weights: try packed(for: layer.primitive, context: context), context: context)
    }

    private func execute(
        _ primitive: DNNLPrimitive, source: DNNLMemory, destination: DNNLMemory, weights: DNNLMemory, context: DNNL
    ) throws {
        var arguments = [(argSource, source), (argWeights, weights), (argDestination, destination)]
        if let biasMemory { arguments.append((argBias, biasMemory)) }
        try primitive.execute(arguments, context: context)
    }

    /// Which kernel runs this layer at an output size: latentty's Winograd, or the oneDNN
    /// implementation compiled for it (nil before its first call).
    func kernelName(height: Int, width: Int) -> String? {
        if ownWinograd != nil { return "latentty winograd F(4×4,3×3)" }
        return compiled.first { $0.key.height == height && $0.key.width == width }?.value.primitive.implementation
    }

    private func compiledLayer(_ key: Key, context: DNNL) throws -> Compiled {
        if let layer = compiled[key] { return layer }
        let layer = try compile(key, context: context)
        compiled[key] = layer
        return layer
    }

    private func compile(_ key: Key, context: DNNL) throws -> Compiled {
        let sameLayout = key.inputLayout.fits(channels: outChannels) ? key.inputLayout : nil
        if let primitive = try? primitive(key, source: key.inputLayout, output: key.outputLayout ?? sameLayout, context: context),
            let layer = layer(primitive, key),
            !primitive.implementation.hasPrefix("ref"), !primitive.implementation.hasPrefix("gemm")
        {
            return layer
        }
        let preferred = try primitive(key, source: nil, output: key.outputLayout, context: context)
        if let layer = layer(preferred, key) { return layer }
        // oneDNN preferred a layout `Activation` does not store: channels last, which it always takes.
        let channelsLast = try primitive(key, source: .channelsLast, output: key.outputLayout ?? .channelsLast, context: context)
        return layer(channelsLast, key)!
    }

    /// The layer for a primitive, when oneDNN chose layouts `Activation` stores.
    private func layer(_ primitive: DNNLPrimitive, _ key: Key) -> Compiled? {
        let size = outputSize(height: key.height, width: key.width)
        guard
            let source = Activation.layout(
                of: primitive.queryMD(dnnl_query_src_md), channels: inChannels, height: key.height, width: key.width, type: computeType),
            let output = Activation.layout(
                of: primitive.queryMD(dnnl_query_dst_md), channels: outChannels, height: size.height, width: size.width,
                type: key.output)
        else { return nil }
        return Compiled(primitive: primitive, sourceLayout: source, outputLayout: output)
    }

    /// A direct-convolution primitive with the given layouts (nil leaves the choice to oneDNN).
    private func primitive(
        _ key: Key, source sourceLayout: ActivationLayout?, output outputLayout: ActivationLayout?, context: DNNL
    ) throws -> DNNLPrimitive {
        let size = outputSize(height: key.height, width: key.width)
        var source =
            try sourceLayout.map { try Activation.descriptor(inChannels, key.height, key.width, computeType, layout: $0) }
            ?? memoryDesc([1, inChannels, key.height, key.width], tag: dnnl_format_tag_any, type: computeType.dnnl)
        var destination =
            try outputLayout.map { try Activation.descriptor(outChannels, size.height, size.width, key.output, layout: $0) }
            ?? memoryDesc([1, outChannels, size.height, size.width], tag: dnnl_format_tag_any, type: key.output.dnnl)
        var weights = try memoryDesc([outChannels, inChannels, kernel, kernel], tag: dnnl_format_tag_any, type: computeType.dnnl)
        var bias = try memoryDesc([outChannels], tag: dnnl_x)
        let hasBias = plainBias != nil || biasMemory != nil
        let strides = dims([stride, stride])
        let (before, after) = (dims([padding.before, padding.before]), dims([padding.after, padding.after]))
        var description = dnnl_convolution_desc_t()
        try withUnsafePointer(to: &bias) { biasPointer in
            try check(
                dnnl_convolution_forward_desc_init(
                    &description, dnnl_forward_inference, dnnl_convolution_direct, &source, &weights, hasBias ? biasPointer : nil,
                    &destination, strides, before, after), "dnnl_convolution_forward_desc_init")
        }
        let attributes = try DNNLAttributes(
            accumulate: key.epilogue.accumulate, activation: key.epilogue.relu ? dnnl_eltwise_relu : nil, userScratchpad: true)
        let primitive = try withUnsafePointer(to: &description) {
            try DNNLPrimitive($0, attributes: attributes, kind: "convolution", context: context)
        }
        try packBias(context: context)
        return primitive
    }

    private func packBias(context: DNNL) throws {
        guard var values = plainBias else { return }
        let desc = try memoryDesc([outChannels], tag: dnnl_x)
        let memory = try DNNLMemory(desc, engine: context.engine, pointer: nil)
        try values.withUnsafeMutableBytes { raw in
            try reorder(try DNNLMemory(desc, engine: context.engine, pointer: raw.baseAddress!), to: memory, context: context)
        }
        biasMemory = memory
        plainBias = nil
    }

    /// The weights in the layout `primitive` wants, packed on first use from the plain values
    /// (which are then dropped) or from the copy packed before, when a kernel in another layout
    /// wanted another packing.
    private func packed(for primitive: DNNLPrimitive, context: DNNL) throws -> DNNLMemory {
        var wanted = primitive.queryMD(dnnl_query_weights_md)
        if let packedWeights, dnnl_memory_desc_equal(&packedWeights.desc, &wanted) != 0 { return packedWeights }
        let memory = try DNNLMemory(wanted, engine: context.engine, pointer: nil)
        if var values = plainWeights {
            let plainDesc = try memoryDesc([outChannels, inChannels, kernel, kernel], tag: dnnl_oihw)
            try values.withUnsafeMutableBytes { raw in
                try reorder(try DNNLMemory(plainDesc, engine: context.engine, pointer: raw.baseAddress!), to: memory, context: context)
            }
            plainWeights = nil
        } else if let packedWeights {
            try reorder(packedWeights, to: memory, context: context)
        }
        packedWeights = memory
        return memory
    }
}
