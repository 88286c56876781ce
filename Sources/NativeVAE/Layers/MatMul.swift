import CDNNL

/// C[M,N] = A[M,K] · B[K,N] on oneDNN, with each operand given by its strides so transposed
/// views cost nothing.
final class MatMul {
    private var compiled: [String: DNNLPrimitive] = [:]

    func multiply(
        _ a: UnsafeMutableRawPointer, aStrides: [Int], _ b: UnsafeMutableRawPointer, bStrides: [Int], into c: UnsafeMutableRawPointer,
        cStrides: [Int], m: Int, k: Int, n: Int, context: DNNL
    ) throws {
        let aDesc = try memoryDesc([m, k], strides: aStrides)
        let bDesc = try memoryDesc([k, n], strides: bStrides)
        let cDesc = try memoryDesc([m, n], strides: cStrides)
        let key = "\(m) \(k) \(n) \(aStrides) \(bStrides) \(cStrides)"
        let primitive: DNNLPrimitive
        if let existing = compiled[key] {
            primitive = existing
        } else {
            var description = dnnl_matmul_desc_t()
            var (aD, bD, cD) = (aDesc, bDesc, cDesc)
            try check(dnnl_matmul_desc_init(&description, &aD, &bD, nil, &cD), "dnnl_matmul_desc_init")
            var pd: dnnl_primitive_desc_t?
            try check(dnnl_primitive_desc_create(&pd, &description, nil, context.engine, nil), "dnnl_primitive_desc_create(matmul)")
            primitive = try DNNLPrimitive(descriptor: pd!)
            compiled[key] = primitive
        }
        let aMemory = try DNNLMemory(aDesc, engine: context.engine, pointer: a)
        let bMemory = try DNNLMemory(bDesc, engine: context.engine, pointer: b)
        let cMemory = try DNNLMemory(cDesc, engine: context.engine, pointer: c)
        try primitive.execute([(argSource, aMemory), (argWeights, bMemory), (argDestination, cMemory)], stream: context.stream)
    }
}
