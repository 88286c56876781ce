import CDNNL
import Foundation

/// What a convolution does after the product: add into the destination's current contents (the
/// residual connections), then an activation — all fused into oneDNN's kernel.
struct ConvEpilogue: Hashable {
    var accumulate = false
    var relu = false
}

/// When 3×3 f32 convolutions use Winograd F(4×4, 3×3) instead of direct convolution. On this
/// project's machines it takes about half the time of oneDNN's direct kernels, but its weights,
/// transformed to 6×6 tiles, need four times the memory of the plain 3×3 ones.
public enum WinogradPolicy: Sendable {
    case never
    /// Layers whose transformed weights are small beside their activations (the high-resolution
    /// ones) keep them; the wide layers at 128² and up make them afresh on each call (about 40 ms
    /// for 512 channels here, against ~140 ms that Winograd saves), so resident memory stays that of
    /// the plain weights; smaller wide layers convolve directly.
    case automatic
    /// Every layer, every transformed weight kept.
    case always
}

/// A 2-D convolution (stride 1, "same" padding) on oneDNN.
///
/// Layouts: Winograd where the policy allows; else a direct kernel in the input's own layout
/// when oneDNN has a fast one for it; else the layouts oneDNN prefers (the input reordered first).
/// Weights are packed once into the kernel's layout and the plain copy dropped.
///
/// oneDNN's Winograd transforms the whole image at once, with scratch several times the
/// activations (over 1 GB for one 512² layer), so it runs on horizontal strips small enough
/// for `stripScratchBytes`: each strip's rows, plus one halo row above and below, are copied
/// into a small buffer (upsampling on the fly when the layer's input is the 2× nearest upsample),
/// convolved without vertical padding, and copied into place.
final class Conv2D {
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    /// bf16 runs inputs and weights in bfloat16 with f32 accumulation; below AVX-512 bf16 runs as f32.
    let computeType: ElementType
    /// oneDNN 2.6's bf16 convolutions and its Winograd kernels both need AVX-512 (below it, bf16
    /// has only a reference loop and Winograd nothing).
    static let cpuHasAVX512 = [
        dnnl_cpu_isa_avx512_core, dnnl_cpu_isa_avx512_core_vnni, dnnl_cpu_isa_avx512_core_bf16, dnnl_cpu_isa_avx512_core_amx,
    ].contains(dnnl_get_effective_cpu_isa())
    let winograd: WinogradPolicy
    /// The most scratch a Winograd layer may use at once; more is cut into strips.
    let stripScratchBytes: Int
    private var plainWeights: [Float]?
    private var plainBias: [Float]?
    private var packedWeights: [DNNLMemory] = []
    private var biasMemory: DNNLMemory?
    private var compiled: [Key: Compiled] = [:]
    /// latentty's own Winograd, for the 3×3 layers whose channels come in eights.
    private let ownWinograd: WinogradLayer?

    private struct Key: Hashable {
        let height: Int
        let width: Int
        let inputLayout: ActivationLayout
        let output: ElementType
        /// The destination's layout when the caller fixes it (accumulating, or asking for channels last).
        let outputLayout: ActivationLayout?
        let epilogue: ConvEpilogue
    }

    private struct Compiled {
        /// The whole image's primitive, or the strips' (for `stripRows` output rows) when striped.
        let primitive: DNNLPrimitive
        let sourceLayout: ActivationLayout
        let outputLayout: ActivationLayout
        let stripRows: Int?
        /// For a last strip of fewer rows.
        let lastStrip: DNNLPrimitive?
        /// Adds into the destination (a sum post-op), so each strip's destination must hold the addend.
        let accumulates: Bool
        /// Whether the weights packed for it are kept between calls (else packed on each call).
        var keepsWeights = true
    }

    init(
        inChannels: Int, outChannels: Int, kernel: Int, weights: [Float], bias: [Float]?, precision: Precision = .f32,
        winograd: WinogradPolicy = .automatic, stripScratchBytes: Int = 16 << 20
    ) {
        self.stripScratchBytes = stripScratchBytes
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.computeType = precision == .bf16 && Self.cpuHasAVX512 ? .bf16 : .f32
        self.winograd = winograd
        let computeType = self.computeType
        if kernel == 3, winograd != .never, WinogradLayer.supports(inputs: inChannels, outputs: outChannels),
            ProcessInfo.processInfo.environment["LATENTTY_OWN_WINOGRAD"] != "0"
        {
            ownWinograd = WinogradLayer(
                inputs: inChannels, outputs: outChannels, weights: weights, bias: bias, operandType: computeType,
                stripScratchBytes: stripScratchBytes)
        } else {
            ownWinograd = nil
            self.plainWeights = weights
            self.plainBias = bias
        }
    }

    /// Transformed weights are kept when they are at most half the output activation
    /// (27·in·out floats against out·pixels/2), else made afresh on each call.
    private func keepsOwnWinogradWeights(height: Int, width: Int) -> Bool {
        winograd == .always || 54 * inChannels <= height * width
    }

    private func runOwnWinograd(
        _ layer: WinogradLayer, _ input: borrowing Activation, upsampled: Bool, into output: borrowing Activation, accumulate: Bool,
        relu: Bool, context: DNNL
    ) throws {
        precondition(input.channels == inChannels && output.channels == outChannels)
        try layer.run(
            WinogradLayer.Operands(
                source: LaneAccess(input), sourceWidth: input.width, height: output.height, width: output.width, upsampled: upsampled,
                destination: LaneAccess(output), accumulate: accumulate, relu: relu, inPlace: false),
            keepWeights: keepsOwnWinogradWeights(height: output.height, width: output.width), context: context)
    }

    /// The convolution of `input` into a new activation of `output` type (the compute type by
    /// default), channels last when asked, else in the layout the kernel prefers.
    func callAsFunction(
        _ input: borrowing Activation, output: ElementType? = nil, channelsLast: Bool = false, relu: Bool = false, context: DNNL
    ) throws -> Activation {
        try convolve(input, upsampled: false, output: output, channelsLast: channelsLast, relu: relu, context: context)
    }

    /// The convolution of `input` upsampled 2× (nearest); striped layers never hold the upsampled image.
    func upsampling(_ input: borrowing Activation, context: DNNL) throws -> Activation {
        try convolve(input, upsampled: true, output: nil, channelsLast: false, relu: false, context: context)
    }

    /// `residual = act(residual + conv(input))`.
    func accumulate(_ input: borrowing Activation, into residual: inout Activation, relu: Bool = false, context: DNNL) throws {
        precondition(residual.channels == outChannels && residual.pixels == input.pixels)
        if let ownWinograd {
            return try runOwnWinograd(ownWinograd, input, upsampled: false, into: residual, accumulate: true, relu: relu, context: context)
        }
        let key = Key(
            height: input.height, width: input.width, inputLayout: input.layout, output: residual.type, outputLayout: residual.layout,
            epilogue: ConvEpilogue(accumulate: true, relu: relu))
        try run(try compiledLayer(key, context: context), input, upsampled: false, into: &residual, context: context)
    }

    private func convolve(
        _ input: borrowing Activation, upsampled: Bool, output: ElementType?, channelsLast: Bool, relu: Bool, context: DNNL
    ) throws -> Activation {
        let scale = upsampled ? 2 : 1
        let (height, width) = (input.height * scale, input.width * scale)
        if let ownWinograd {
            let layout: ActivationLayout = !channelsLast && input.layout.fits(channels: outChannels) ? input.layout : .channelsLast
            let result = Activation(
                channels: outChannels, height: height, width: width, type: output ?? computeType, layout: layout)
            try runOwnWinograd(ownWinograd, input, upsampled: upsampled, into: result, accumulate: false, relu: relu, context: context)
            return result
        }
        let key = Key(
            height: height, width: width, inputLayout: input.layout, output: output ?? computeType,
            outputLayout: channelsLast ? .channelsLast : nil, epilogue: ConvEpilogue(relu: relu))
        let layer = try compiledLayer(key, context: context)
        var result = Activation(channels: outChannels, height: height, width: width, type: key.output, layout: layer.outputLayout)
        if upsampled && layer.stripRows == nil {
            try run(layer, input.upsampled(), upsampled: false, into: &result, context: context)
        } else {
            try run(layer, input, upsampled: upsampled, into: &result, context: context)
        }
        return result
    }

    private func run(_ layer: Compiled, _ input: borrowing Activation, upsampled: Bool, into output: inout Activation, context: DNNL) throws
    {
        precondition(input.channels == inChannels)
        if input.type != computeType || input.layout != layer.sourceLayout {
            let converted = try input.converted(to: computeType, layout: layer.sourceLayout, context: context)
            return try run(layer, converted, upsampled: upsampled, into: &output, context: context)
        }
        guard let rows = layer.stripRows else {
            return try execute(
                layer.primitive, source: try input.memory(context), destination: try output.memory(context),
                weights: try packed(for: layer.primitive, keep: layer.keepsWeights, context: context), context: context)
        }
        try runStrips(
            layer, rows: rows, input: RowView(input), upsampled: upsampled, output: RowView(output), width: output.width,
            outputType: output.type, inPlace: false, context: context)
    }

    /// The convolution written over its own input's memory, for layers with no more output than
    /// input channels that run in strips: peak memory then holds one activation of this size
    /// instead of two. Other layers allocate the output as usual (and free the input on return).
    func replacing(_ input: consuming Activation, context: DNNL) throws -> Activation {
        if let ownWinograd, outChannels <= inChannels, input.type == computeType, input.layout.fits(channels: outChannels) {
            precondition(input.channels == inChannels)
            let source = LaneAccess(input)
            let (height, width) = (input.height, input.width)
            let output = input.overwritten(channels: outChannels)
            try ownWinograd.run(
                WinogradLayer.Operands(
                    source: source, sourceWidth: width, height: height, width: width, upsampled: false, destination: LaneAccess(output),
                    accumulate: false, relu: false, inPlace: true),
                keepWeights: keepsOwnWinogradWeights(height: height, width: width), context: context)
            return output
        }
        let key = Key(
            height: input.height, width: input.width, inputLayout: input.layout, output: computeType, outputLayout: input.layout,
            epilogue: ConvEpilogue())
        guard case .blocked = input.layout, outChannels <= inChannels, input.type == computeType,
            let layer = try? compiledLayer(key, context: context), let rows = layer.stripRows, layer.sourceLayout == input.layout
        else { return try self(input, context: context) }
        let view = RowView(input)
        try runStrips(
            layer, rows: rows, input: view, upsampled: false, output: view.prefix(blocks: outChannels / input.block), width: input.width,
            outputType: computeType, inPlace: true, context: context)
        return input.reinterpreted(channels: outChannels)
    }

    /// Strip by strip: copy the rows (and halo) in, add the addend when accumulating, convolve,
    /// copy the result out. In place, a strip's result is written only after the next strip has
    /// copied its top halo row, which is the last input row the result overwrites.
    private func runStrips(
        _ layer: Compiled, rows: Int, input: RowView, upsampled: Bool, output: RowView, width: Int, outputType: ElementType, inPlace: Bool,
        context: DNNL
    ) throws {
        let sourceStrip = Activation(channels: inChannels, height: rows + 2, width: width, type: computeType, layout: layer.sourceLayout)
        let outputStrip = Activation(channels: outChannels, height: rows, width: width, type: outputType, layout: layer.outputLayout)
        // Packed once per call, not per strip, when they are not kept.
        let weights = try packed(for: layer.primitive, keep: layer.keepsWeights, context: context)
        let lastWeights = try layer.lastStrip.map { try packed(for: $0, keep: layer.keepsWeights, reusing: weights, context: context) }
        var pending: (first: Int, count: Int)?
        for first in stride(from: 0, to: output.height, by: rows) {
            let count = min(rows, output.height - first)
            let (primitive, stripWeights) = count == rows ? (layer.primitive, weights) : (layer.lastStrip!, lastWeights!)
            RowView(sourceStrip).withHeight(count + 2).fill(from: input, first: first - 1, count: count + 2, upsampled: upsampled)
            if let done = pending {
                output.copy(from: RowView(outputStrip).withHeight(done.count), first: 0, count: done.count, at: done.first)
            }
            if layer.accumulates { RowView(outputStrip).withHeight(count).copy(from: output, first: first, count: count, at: 0) }
            let source = try DNNLMemory(
                try Activation.descriptor(inChannels, count + 2, width, computeType, layout: layer.sourceLayout), engine: context.engine,
                pointer: sourceStrip.pointer)
            let destination = try DNNLMemory(
                try Activation.descriptor(outChannels, count, width, outputType, layout: layer.outputLayout), engine: context.engine,
                pointer: outputStrip.pointer)
            try execute(primitive, source: source, destination: destination, weights: stripWeights, context: context)
            pending = (first, count)
            if !inPlace {
                output.copy(from: RowView(outputStrip).withHeight(count), first: 0, count: count, at: first)
                pending = nil
            }
        }
        if let done = pending {
            output.copy(from: RowView(outputStrip).withHeight(done.count), first: 0, count: done.count, at: done.first)
        }
    }

    private func execute(
        _ primitive: DNNLPrimitive, source: DNNLMemory, destination: DNNLMemory, weights: DNNLMemory, context: DNNL
    ) throws {
        var arguments = [(argSource, source), (argWeights, weights), (argDestination, destination)]
        if let biasMemory { arguments.append((argBias, biasMemory)) }
        try primitive.execute(arguments, context: context)
    }

    /// The kernel compiled for this output size, its rows per strip (nil: whole image) and whether
    /// its packed weights are kept; nil when nothing is compiled for it.
    func plan(height: Int, width: Int) -> (implementation: String, stripRows: Int?, keepsWeights: Bool)? {
        compiled.first { $0.key.height == height && $0.key.width == width }.map {
            ($0.value.primitive.implementation, $0.value.stripRows, $0.value.keepsWeights)
        }
    }

    private func compiledLayer(_ key: Key, context: DNNL) throws -> Compiled {
        if let layer = compiled[key] { return layer }
        let layer = try compile(key, context: context)
        compiled[key] = layer
        return layer
    }

    private func compile(_ key: Key, context: DNNL) throws -> Compiled {
        if usesWinograd(key), let layer = try? compileWinograd(key, context: context) { return layer }
        let sameLayout = key.inputLayout.fits(channels: outChannels) ? key.inputLayout : nil
        if let primitive = try? primitive(
            key, algorithm: dnnl_convolution_direct, source: key.inputLayout, output: key.outputLayout ?? sameLayout, context: context),
            let layer = layer(primitive, key),
            !primitive.implementation.hasPrefix("ref"), !primitive.implementation.hasPrefix("gemm")
        {
            return layer
        }
        let preferred = try primitive(key, algorithm: dnnl_convolution_direct, source: nil, output: key.outputLayout, context: context)
        if let layer = layer(preferred, key) { return layer }
        // oneDNN preferred a layout `Activation` does not store: channels last, which it always takes.
        let channelsLast = try primitive(
            key, algorithm: dnnl_convolution_direct, source: .channelsLast, output: key.outputLayout ?? .channelsLast, context: context)
        return layer(channelsLast, key)!
    }

    private func usesWinograd(_ key: Key) -> Bool {
        guard kernel == 3, computeType == .f32, Self.cpuHasAVX512 else { return false }
        switch winograd {
        case .never: return false
        case .always: return true
        // Transforming the weights on each call costs about as much as Winograd saves on a 64²
        // image; from 128² on it is under a third of the saving.
        case .automatic: return keepsWinogradWeights(key) || key.height * key.width >= 128 * 128
        }
    }

    /// The transformed weights add 27·in·out floats; kept when that is at most half the output activation.
    private func keepsWinogradWeights(_ key: Key) -> Bool {
        winograd == .always || 54 * inChannels <= key.height * key.width
    }

    /// Whole-image Winograd when its scratch fits `stripScratchBytes`, else strips of rows
    /// (a multiple of 4, Winograd's output tile) sized to fit it.
    private func compileWinograd(_ key: Key, context: DNNL) throws -> Compiled? {
        let whole = try primitive(key, algorithm: dnnl_convolution_winograd, source: nil, output: key.outputLayout, context: context)
        guard let wholeLayer = layer(whole, key) else { return nil }
        let scratch = whole.scratchpadBytes
        guard scratch > stripScratchBytes, key.height > 8 else {
            var layer = wholeLayer
            layer.keepsWeights = keepsWinogradWeights(key)
            return layer
        }
        let strips = (scratch + stripScratchBytes - 1) / stripScratchBytes
        let rows = max(4, (key.height / strips) / 4 * 4)
        let strip = try primitive(
            key, algorithm: dnnl_convolution_winograd, source: wholeLayer.sourceLayout, output: wholeLayer.outputLayout, rows: rows,
            context: context)
        let remainder = key.height % rows
        let last =
            remainder == 0
            ? nil
            : try primitive(
                key, algorithm: dnnl_convolution_winograd, source: wholeLayer.sourceLayout, output: wholeLayer.outputLayout,
                rows: remainder,
                context: context)
        return Compiled(
            primitive: strip, sourceLayout: wholeLayer.sourceLayout, outputLayout: wholeLayer.outputLayout, stripRows: rows,
            lastStrip: last, accumulates: key.epilogue.accumulate, keepsWeights: keepsWinogradWeights(key))
    }

    /// The layer for a whole-image primitive, when oneDNN chose layouts `Activation` stores.
    private func layer(_ primitive: DNNLPrimitive, _ key: Key) -> Compiled? {
        guard
            let source = Activation.layout(
                of: primitive.queryMD(dnnl_query_src_md), channels: inChannels, height: key.height, width: key.width, type: computeType),
            let output = Activation.layout(
                of: primitive.queryMD(dnnl_query_dst_md), channels: outChannels, height: key.height, width: key.width, type: key.output)
        else { return nil }
        return Compiled(
            primitive: primitive, sourceLayout: source, outputLayout: output, stripRows: nil, lastStrip: nil,
            accumulates: key.epilogue.accumulate)
    }

    /// A primitive with the given layouts (nil leaves the choice to oneDNN); with `rows`, for a
    /// strip of that many output rows whose source carries its halo rows (no vertical padding).
    private func primitive(
        _ key: Key, algorithm: dnnl_alg_kind_t, source sourceLayout: ActivationLayout?, output outputLayout: ActivationLayout?,
        rows: Int? = nil, context: DNNL
    ) throws -> DNNLPrimitive {
        let pad = kernel / 2
        let outputRows = rows ?? key.height
        let inputRows = rows.map { $0 + 2 * pad } ?? key.height
        var source =
            try sourceLayout.map { try Activation.descriptor(inChannels, inputRows, key.width, computeType, layout: $0) }
            ?? memoryDesc([1, inChannels, inputRows, key.width], tag: dnnl_format_tag_any, type: computeType.dnnl)
        var destination =
            try outputLayout.map { try Activation.descriptor(outChannels, outputRows, key.width, key.output, layout: $0) }
            ?? memoryDesc([1, outChannels, outputRows, key.width], tag: dnnl_format_tag_any, type: key.output.dnnl)
        var weights = try memoryDesc([outChannels, inChannels, kernel, kernel], tag: dnnl_format_tag_any, type: computeType.dnnl)
        var bias = try memoryDesc([outChannels], tag: dnnl_x)
        let hasBias = plainBias != nil || biasMemory != nil
        let vertical = rows == nil ? pad : 0
        let (strides, padding) = (dims([1, 1]), dims([vertical, pad]))
        var description = dnnl_convolution_desc_t()
        try withUnsafePointer(to: &bias) { biasPointer in
            try check(
                dnnl_convolution_forward_desc_init(
                    &description, dnnl_forward_inference, algorithm, &source, &weights, hasBias ? biasPointer : nil, &destination, strides,
                    padding, padding), "dnnl_convolution_forward_desc_init")
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

    /// The weights in the layout `primitive` wants: `reusing` when that is it, else one packed
    /// before, else packed now from the plain values or a blocked copy (Winograd's transformed
    /// weights cannot be read back, so the plain values stay until a blocked copy exists) and,
    /// with `keep`, kept.
    private func packed(
        for primitive: DNNLPrimitive, keep: Bool, reusing candidate: DNNLMemory? = nil, context: DNNL
    ) throws -> DNNLMemory {
        var wanted = primitive.queryMD(dnnl_query_weights_md)
        for memory in [candidate].compactMap({ $0 }) + packedWeights where dnnl_memory_desc_equal(&memory.desc, &wanted) != 0 {
            return memory
        }
        // Weights packed for one call borrow a recycled buffer; kept ones get their own.
        let memory = keep ? try DNNLMemory(wanted, engine: context.engine, pointer: nil) : try DNNLMemory(pooled: wanted, context: context)
        let plainDesc = try memoryDesc([outChannels, inChannels, kernel, kernel], tag: dnnl_oihw)
        if var values = plainWeights {
            try values.withUnsafeMutableBytes { raw in
                try reorder(try DNNLMemory(plainDesc, engine: context.engine, pointer: raw.baseAddress!), to: memory, context: context)
            }
        } else if let blocked = packedWeights.first(where: { $0.desc.format_kind != dnnl_format_kind_wino }) {
            if wanted.format_kind == dnnl_format_kind_wino {
                let plain = try DNNLMemory(plainDesc, engine: context.engine, pointer: nil)
                try reorder(blocked, to: plain, context: context)
                try reorder(plain, to: memory, context: context)
            } else {
                try reorder(blocked, to: memory, context: context)
            }
        }
        guard keep else { return memory }
        packedWeights.append(memory)
        if wanted.format_kind != dnnl_format_kind_wino { plainWeights = nil }
        return memory
    }
}
