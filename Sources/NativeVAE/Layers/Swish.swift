import CDNNL

/// SiLU (swish with α = 1) through oneDNN's vectorised eltwise kernel, in place on an NCHW buffer;
/// libm's scalar `expf` per element costs more than the convolutions around it at full resolution.
final class Swish {
    private var compiled: [Int: (DNNLPrimitive, DNNLMemory)] = [:]

    func apply(_ map: inout FeatureMap, context: DNNL) throws {
        let count = map.data.count
        let entry: (DNNLPrimitive, DNNLMemory)
        if let existing = compiled[count] {
            entry = existing
        } else {
            var desc = try memoryDesc([count], tag: dnnl_x)
            var description = dnnl_eltwise_desc_t()
            try check(
                dnnl_eltwise_forward_desc_init(&description, dnnl_forward_inference, dnnl_eltwise_swish, &desc, 1, 0),
                "dnnl_eltwise_forward_desc_init")
            var pd: dnnl_primitive_desc_t?
            try check(dnnl_primitive_desc_create(&pd, &description, nil, context.engine, nil), "dnnl_primitive_desc_create(eltwise)")
            entry = (
                try DNNLPrimitive(descriptor: pd!),
                try DNNLMemory(desc, engine: context.engine, pointer: UnsafeMutableRawPointer(bitPattern: 0x10)!)
            )
            compiled[count] = entry
        }
        try map.data.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) throws in
            try entry.1.point(at: raw.baseAddress!)
            try entry.0.execute([(argSource, entry.1), (argDestination, entry.1)], stream: context.stream)
        }
    }
}
