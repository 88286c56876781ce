import CDNNL

/// What a convolution does after the product: add into the destination's current contents (the
/// residual connections), then an activation — all fused into oneDNN's kernel.
struct ConvEpilogue: Hashable {
    var accumulate = false
    var relu = false

    static let none = ConvEpilogue()
}

/// A 2-D convolution (stride 1, "same" padding) on oneDNN over channels-last activations.
/// Weights are reordered once into the layout oneDNN picks for this CPU; the plain copy is then
/// dropped, and a later input size that wants another layout is reordered from the packed one.
final class Conv2D {
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    /// bf16 runs inputs and weights in bfloat16 with f32 accumulation.
    let computeType: ElementType
    private var plainWeights: [Float]?
    private var plainBias: [Float]?
    private var packedWeights: [DNNLMemory] = []
    private var biasMemory: DNNLMemory?
    private var compiled: [Key: DNNLPrimitive] = [:]

    private struct Key: Hashable {
        let height: Int
        let width: Int
        let output: ElementType
        let epilogue: ConvEpilogue
    }

    init(inChannels: Int, outChannels: Int, kernel: Int, weights: [Float], bias: [Float]?, precision: Precision = .f32) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.computeType = ElementType(precision)
        self.plainWeights = weights
        self.plainBias = bias
    }

    /// The convolution of `input` into a new activation of `output` type (the compute type by default).
    func callAsFunction(
        _ input: borrowing Activation, output: ElementType? = nil, relu: Bool = false, context: DNNL
    ) throws -> Activation {
        var result = Activation(channels: outChannels, height: input.height, width: input.width, type: output ?? computeType)
        try run(input, into: &result, epilogue: ConvEpilogue(relu: relu), context: context)
        return result
    }

    /// `residual = act(residual + conv(input))`.
    func accumulate(_ input: borrowing Activation, into residual: inout Activation, relu: Bool = false, context: DNNL) throws {
        try run(input, into: &residual, epilogue: ConvEpilogue(accumulate: true, relu: relu), context: context)
    }

    private func run(_ input: borrowing Activation, into output: inout Activation, epilogue: ConvEpilogue, context: DNNL) throws {
        precondition(input.channels == inChannels && output.channels == outChannels && input.pixels == output.pixels)
        if input.type != computeType {
            let converted = try input.converted(to: computeType, context: context)
            return try run(converted, into: &output, epilogue: epilogue, context: context)
        }
        let key = Key(height: input.height, width: input.width, output: output.type, epilogue: epilogue)
        let primitive = try compiled[key] ?? compile(key, context: context)
        compiled[key] = primitive
        let weights = try packed(for: primitive.queryMD(dnnl_query_weights_md), context: context)
        var arguments = [(argSource, try input.memory(context)), (argWeights, weights), (argDestination, try output.memory(context))]
        if let biasMemory { arguments.append((argBias, biasMemory)) }
        try primitive.execute(arguments, stream: context.stream)
    }

    private func compile(_ key: Key, context: DNNL) throws -> DNNLPrimitive {
        let pad = kernel / 2
        var source = try Activation.descriptor(inChannels, key.height, key.width, computeType)
        var destination = try Activation.descriptor(outChannels, key.height, key.width, key.output)
        var weights = try memoryDesc([outChannels, inChannels, kernel, kernel], tag: dnnl_format_tag_any, type: computeType.dnnl)
        var bias = try memoryDesc([outChannels], tag: dnnl_x)
        let hasBias = plainBias != nil || biasMemory != nil
        let (strides, padding) = (dims([1, 1]), dims([pad, pad]))
        var description = dnnl_convolution_desc_t()
        try withUnsafePointer(to: &bias) { biasPointer in
            try check(
                dnnl_convolution_forward_desc_init(
                    &description, dnnl_forward_inference, dnnl_convolution_direct, &source, &weights, hasBias ? biasPointer : nil,
                    &destination, strides, padding, padding), "dnnl_convolution_forward_desc_init")
        }
        let attributes = try DNNLAttributes(accumulate: key.epilogue.accumulate, activation: key.epilogue.relu ? dnnl_eltwise_relu : nil)
        let primitive = try withUnsafePointer(to: &description) {
            try DNNLPrimitive($0, attributes: attributes, kind: "convolution", context: context)
        }
        if var values = plainBias {
            let memory = try DNNLMemory(bias, engine: context.engine, pointer: nil)
            try values.withUnsafeMutableBytes { raw in
                try reorder(try DNNLMemory(bias, engine: context.engine, pointer: raw.baseAddress!), to: memory, context: context)
            }
            biasMemory = memory
            plainBias = nil
        }
        return primitive
    }

    /// The weights in the layout `wanted`, packed on first use from the plain values or from a
    /// layout packed before.
    private func packed(for wanted: dnnl_memory_desc_t, context: DNNL) throws -> DNNLMemory {
        var wanted = wanted
        for memory in packedWeights where dnnl_memory_desc_equal(&memory.desc, &wanted) != 0 { return memory }
        let memory = try DNNLMemory(wanted, engine: context.engine, pointer: nil)
        if let first = packedWeights.first {
            try reorder(first, to: memory, context: context)
        } else if var values = plainWeights {
            try values.withUnsafeMutableBytes { raw in
                let plain = try DNNLMemory(
                    try memoryDesc([outChannels, inChannels, kernel, kernel], tag: dnnl_oihw), engine: context.engine,
                    pointer: raw.baseAddress!)
                try reorder(plain, to: memory, context: context)
            }
            plainWeights = nil
        }
        packedWeights.append(memory)
        return memory
    }
}
