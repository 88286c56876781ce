import CDNNL

/// C[M,N] = scale · A[M,K] · B[K,N] on oneDNN (f32), each operand given by its strides so a
/// transposed view costs nothing.
final class MatMul {
    private var compiled: [String: DNNLPrimitive] = [:]

    func multiply(
        _ a: UnsafeMutableRawPointer, aStrides: [Int], _ b: UnsafeMutableRawPointer, bStrides: [Int], into c: UnsafeMutableRawPointer,
        cStrides: [Int], m: Int, k: Int, n: Int, scale: Float = 1, context: DNNL
    ) throws {
        let aDesc = try memoryDesc([m, k], strides: aStrides)
        let bDesc = try memoryDesc([k, n], strides: bStrides)
        let cDesc = try memoryDesc([m, n], strides: cStrides)
        let key = "\(m) \(k) \(n) \(aStrides) \(bStrides) \(cStrides) \(scale)"
        let primitive: DNNLPrimitive
        if let existing = compiled[key] {
            primitive = existing
        } else {
            var description = dnnl_matmul_desc_t()
            var (aD, bD, cD) = (aDesc, bDesc, cDesc)
            try check(dnnl_matmul_desc_init(&description, &aD, &bD, nil, &cD), "dnnl_matmul_desc_init")
            let attributes = scale == 1 ? nil : try DNNLAttributes(outputScale: scale)
            primitive = try withUnsafePointer(to: &description) {
                try DNNLPrimitive($0, attributes: attributes, kind: "matmul", context: context)
            }
            compiled[key] = primitive
        }
        let aMemory = try DNNLMemory(aDesc, engine: context.engine, pointer: a)
        let bMemory = try DNNLMemory(bDesc, engine: context.engine, pointer: b)
        let cMemory = try DNNLMemory(cDesc, engine: context.engine, pointer: c)
        try primitive.execute([(argSource, aMemory), (argWeights, bMemory), (argDestination, cMemory)], context: context)
    }
}

/// Softmax along the rows of a row-major f32 matrix, in place.
final class Softmax {
    private var compiled: [Int: DNNLPrimitive] = [:]

    func apply(_ rows: UnsafeMutableRawPointer, rowCount: Int, columns: Int, context: DNNL) throws {
        var desc = try memoryDesc([rowCount, columns], tag: dnnl_ab)
        let primitive: DNNLPrimitive
        if let existing = compiled[rowCount << 32 | columns] {
            primitive = existing
        } else {
            var description = dnnl_softmax_desc_t()
            try check(dnnl_softmax_forward_desc_init(&description, dnnl_forward_inference, &desc, 1), "dnnl_softmax_forward_desc_init")
            primitive = try withUnsafePointer(to: &description) { try DNNLPrimitive($0, kind: "softmax", context: context) }
            compiled[rowCount << 32 | columns] = primitive
        }
        let memory = try DNNLMemory(desc, engine: context.engine, pointer: rows)
        try primitive.execute([(argSource, memory), (argDestination, memory)], context: context)
    }
}
