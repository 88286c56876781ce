import CDNNL

/// A 2-D convolution (stride 1, "same" padding) on oneDNN. Weights are reordered once per input
/// size into the layout oneDNN picks for this CPU; activations stay plain NCHW.
final class Conv2D {
    let inChannels: Int
    let outChannels: Int
    let kernel: Int
    /// bf16 runs the convolution's inputs and weights in bfloat16 with f32 accumulation and output.
    let precision: Precision
    private let weights: [Float]
    private let bias: [Float]?
    private var compiled: [Int: Compiled] = [:]

    /// The convolution in the layouts oneDNN chose (blocked, for its fast kernels), with reorders
    /// from and to the plain NCHW buffers the rest of the decoder uses.
    private struct Compiled {
        let primitive: DNNLPrimitive
        let weights: DNNLMemory
        let bias: DNNLMemory?
        let plainSource: DNNLMemory
        let plainDestination: DNNLMemory
        let source: dnnl_memory_desc_t
        let destination: dnnl_memory_desc_t
        let reorderIn: DNNLPrimitive
        let reorderOut: DNNLPrimitive
    }

    init(inChannels: Int, outChannels: Int, kernel: Int, weights: [Float], bias: [Float]?, precision: Precision = .f32) {
        self.precision = precision
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.weights = weights
        self.bias = bias
    }

    func callAsFunction(_ input: FeatureMap, context: DNNL) throws -> FeatureMap {
        let key = input.height << 20 | input.width
        let layer = try compiled[key] ?? compile(height: input.height, width: input.width, context: context)
        compiled[key] = layer
        // oneDNN only reads the source; the output starts uninitialised (the reorder writes all of it).
        let count = outChannels * input.height * input.width
        var failure: (any Error)?
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            do {
                try input.data.withUnsafeBytes { source in
                    try layer.plainSource.point(at: UnsafeMutableRawPointer(mutating: source.baseAddress!))
                    try layer.plainDestination.point(at: UnsafeMutableRawPointer(buffer.baseAddress!))
                    // Blocked buffers live only for this call, so memory holds just the activations in use.
                    let blockedSource = try DNNLMemory(layer.source, engine: context.engine, pointer: nil)
                    let blockedDestination = try DNNLMemory(layer.destination, engine: context.engine, pointer: nil)
                    try layer.reorderIn.execute([(argFrom, layer.plainSource), (argTo, blockedSource)], stream: context.stream)
                    var arguments = [(argSource, blockedSource), (argWeights, layer.weights), (argDestination, blockedDestination)]
                    if let bias = layer.bias { arguments.append((argBias, bias)) }
                    try layer.primitive.execute(arguments, stream: context.stream)
                    try layer.reorderOut.execute([(argFrom, blockedDestination), (argTo, layer.plainDestination)], stream: context.stream)
                }
            } catch {
                failure = error
                buffer.initialize(repeating: 0)
            }
            initialized = count
        }
        if let failure { throw failure }
        let output = FeatureMap(channels: outChannels, height: input.height, width: input.width, data: data)
        return output
    }

    private func compile(height: Int, width: Int, context: DNNL) throws -> Compiled {
        let pad = kernel / 2
        let plainSourceDesc = try memoryDesc([1, inChannels, height, width], tag: dnnl_nchw)
        let plainDestinationDesc = try memoryDesc([1, outChannels, height, width], tag: dnnl_nchw)
        let compute = precision == .bf16 ? dnnl_bf16 : dnnl_f32
        var source = try memoryDesc([1, inChannels, height, width], tag: dnnl_format_tag_any, type: compute)
        var destination = try memoryDesc([1, outChannels, height, width], tag: dnnl_format_tag_any)
        var weightsAny = try memoryDesc([outChannels, inChannels, kernel, kernel], tag: dnnl_format_tag_any, type: compute)
        var biasDesc = try memoryDesc([outChannels], tag: dnnl_x)
        let strides = dims([1, 1])
        let padding = dims([pad, pad])
        var description = dnnl_convolution_desc_t()
        let status =
            bias == nil
            ? dnnl_convolution_forward_desc_init(
                &description, dnnl_forward_inference, dnnl_convolution_direct, &source, &weightsAny, nil, &destination, strides,
                padding, padding)
            : dnnl_convolution_forward_desc_init(
                &description, dnnl_forward_inference, dnnl_convolution_direct, &source, &weightsAny, &biasDesc, &destination,
                strides, padding, padding)
        try check(status, "dnnl_convolution_forward_desc_init")
        var pd: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&pd, &description, nil, context.engine, nil), "dnnl_primitive_desc_create(convolution)")
        let primitive = try DNNLPrimitive(descriptor: pd!)
        let chosen = primitive.queryMD(dnnl_query_weights_md)
        let packed = try DNNLMemory(chosen, engine: context.engine, pointer: nil)
        var plainWeights = weights
        try plainWeights.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) throws in
            let user = try DNNLMemory(
                try memoryDesc([outChannels, inChannels, kernel, kernel], tag: dnnl_oihw), engine: context.engine, pointer: raw.baseAddress)
            try reorder(user, to: packed, context: context)
        }
        var biasMemory: DNNLMemory? = nil
        if var values = bias {
            let memory = try DNNLMemory(biasDesc, engine: context.engine, pointer: nil)
            try values.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) throws in
                let user = try DNNLMemory(biasDesc, engine: context.engine, pointer: raw.baseAddress)
                try reorder(user, to: memory, context: context)
            }
            biasMemory = memory
        }
        // Placeholder buffers; each call points them at the real activations.
        let placeholder = UnsafeMutableRawPointer(bitPattern: 0x10)!
        let plainSource = try DNNLMemory(plainSourceDesc, engine: context.engine, pointer: placeholder)
        let plainDestination = try DNNLMemory(plainDestinationDesc, engine: context.engine, pointer: placeholder)
        let blockedSource = primitive.queryMD(dnnl_query_src_md)
        let blockedDestination = primitive.queryMD(dnnl_query_dst_md)
        return Compiled(
            primitive: primitive, weights: packed, bias: biasMemory, plainSource: plainSource, plainDestination: plainDestination,
            source: blockedSource, destination: blockedDestination,
            reorderIn: try reorderPrimitive(from: plainSource.desc, to: blockedSource, context: context),
            reorderOut: try reorderPrimitive(from: blockedDestination, to: plainDestination.desc, context: context))
    }
}
