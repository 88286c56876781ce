import CDNNL

/// SiLU (swish with α = 1) in place through oneDNN's vectorised eltwise kernel (f32 or bf16);
/// libm's scalar `expf` per element costs more than the convolutions around it at full resolution.
final class Swish {
    private var compiled: [Int: DNNLPrimitive] = [:]

    func apply(_ map: inout Activation, context: DNNL) throws {
        let key = map.count << 1 | (map.type == .f32 ? 0 : 1)
        let primitive: DNNLPrimitive
        if let existing = compiled[key] {
            primitive = existing
        } else {
            var desc = try memoryDesc([map.count], tag: dnnl_x, type: map.type.dnnl)
            var description = dnnl_eltwise_desc_t()
            try check(
                dnnl_eltwise_forward_desc_init(&description, dnnl_forward_inference, dnnl_eltwise_swish, &desc, 1, 0),
                "dnnl_eltwise_forward_desc_init")
            primitive = try withUnsafePointer(to: &description) { try DNNLPrimitive($0, kind: "swish", context: context) }
            compiled[key] = primitive
        }
        let memory = try DNNLMemory(
            try memoryDesc([map.count], tag: dnnl_x, type: map.type.dnnl), engine: context.engine, pointer: map.pointer)
        try primitive.execute([(argSource, memory), (argDestination, memory)], context: context)
    }
}
