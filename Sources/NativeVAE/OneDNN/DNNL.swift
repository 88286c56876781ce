import CDNNL
import Foundation
import Synchronization

public enum NativeError: Error, Equatable, CustomStringConvertible {
    case dnnl(call: String, status: Int)
    case missingTensor(String)
    case wrongShape(name: String, expected: [Int], actual: [Int])
    case unexpectedTensors([String])
    case badConfig(String)
    case unreadableWeights(String)
    case unsupportedLatent(String)
    /// Weights of a known model that latentty has no decoder for (the sentence names it).
    case unsupportedModel(String)
    /// Video weights with an image preset, or image weights with a video preset.
    case modelMismatch(weights: String, preset: String)

    public var description: String {
        switch self {
        case .dnnl(let call, let status): "oneDNN \(call) failed (status \(status))"
        case .missingTensor(let name): "the weights lack '\(name)'; is this the right model for the preset?"
        case .wrongShape(let name, let expected, let actual):
            "weight '\(name)' is \(actual.shapeText) but the model config needs \(expected.shapeText)"
        case .unexpectedTensors(let names):
            "the weights hold decoder tensors this model does not use: \(names.prefix(5).joined(separator: ", "))\(names.count > 5 ? " …" : "")"
        case .badConfig(let reason): "the model config is not usable: \(reason)"
        case .unreadableWeights(let reason): "cannot read the weights: \(reason)"
        case .unsupportedLatent(let reason): reason
        case .unsupportedModel(let sentence): sentence
        case .modelMismatch(let weights, let preset):
            "the weights are \(weights) but the preset \(preset); pick the preset that matches the weights (or other weights with --vae)"
        }
    }
}

/// The oneDNN engine and stream (CPU), created once.
final class DNNL: @unchecked Sendable {
    // oneDNN engines and in-order streams are safe to use from one thread at a time; every
    // decode holds `lock` while it runs primitives.
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    let lock = Mutex(())
    let kernels = KernelLog()
    /// One scratch buffer for every primitive (they run one at a time), kept between calls so
    /// oneDNN does not map and fault in fresh pages for each.
    private var scratch: (pointer: UnsafeMutableRawPointer, bytes: Int)?

    /// At least `bytes` of scratch; valid until the next call.
    func scratchpad(_ bytes: Int) -> UnsafeMutableRawPointer {
        if let scratch, scratch.bytes >= bytes { return scratch.pointer }
        scratch?.pointer.deallocate()
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
        scratch = (pointer, bytes)
        return pointer
    }

    static let shared: DNNL? = try? DNNL()

    private init() throws {
        // glibc raises its mmap threshold (to 32 MB) after big blocks are freed, so freed
        // activations of a few MB then stay in the heap and fragment it; a fixed threshold keeps
        // every large buffer mapped on its own and returned the moment it is freed.
        mallopt(M_MMAP_THRESHOLD, 256 << 10)
        var engine: dnnl_engine_t?
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        var stream: dnnl_stream_t?
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        self.engine = engine!
        self.stream = stream!
    }
}

@inline(__always)
func check(_ status: dnnl_status_t, _ call: String) throws {
    guard status == dnnl_success else { throw NativeError.dnnl(call: call, status: Int(status.rawValue)) }
}

/// A `dnnl_dims_t` argument (a 12-element C array): an array passed where C wants the pointer.
/// (Passing `&tuple.0` instead only promises the first element, and optimised builds hold it to that.)
func dims(_ values: [Int]) -> [Int64] {
    values.prefix(12).map(Int64.init) + [Int64](repeating: 0, count: 12 - min(values.count, 12))
}

func memoryDesc(_ shape: [Int], tag: dnnl_format_tag_t, type: dnnl_data_type_t = dnnl_f32) throws -> dnnl_memory_desc_t {
    var desc = dnnl_memory_desc_t()
    try check(dnnl_memory_desc_init_by_tag(&desc, Int32(shape.count), dims(shape), type, tag), "dnnl_memory_desc_init_by_tag")
    return desc
}

func memoryDesc(_ shape: [Int], strides: [Int], type: dnnl_data_type_t = dnnl_f32) throws -> dnnl_memory_desc_t {
    var desc = dnnl_memory_desc_t()
    try check(
        dnnl_memory_desc_init_by_strides(&desc, Int32(shape.count), dims(shape), type, dims(strides)),
        "dnnl_memory_desc_init_by_strides")
    return desc
}

/// A oneDNN memory object over a buffer we own (or one oneDNN allocates when `pointer` is nil).
final class DNNLMemory {
    let handle: dnnl_memory_t
    var desc: dnnl_memory_desc_t

    init(_ desc: dnnl_memory_desc_t, engine: dnnl_engine_t, pointer: UnsafeMutableRawPointer?) throws {
        var handle: dnnl_memory_t?
        var copy = desc
        // DNNL_MEMORY_ALLOCATE is ((void *)(size_t)-1).
        let buffer = pointer ?? UnsafeMutableRawPointer(bitPattern: UInt.max)
        try check(dnnl_memory_create(&handle, &copy, engine, buffer), "dnnl_memory_create")
        self.handle = handle!
        self.desc = desc
    }

    /// Memory over a buffer from `ActivationPool`, returned to it when this object goes.
    convenience init(pooled desc: dnnl_memory_desc_t, context: DNNL) throws {
        var copy = desc
        let bytes = max(1, Int(dnnl_memory_desc_get_size(&copy)))
        let buffer = ActivationPool.shared.take(byteCount: bytes)
        do {
            try self.init(desc, engine: context.engine, pointer: buffer)
        } catch {
            ActivationPool.shared.give(buffer, byteCount: bytes)
            throw error
        }
        pooledBytes = bytes
        pooledBuffer = buffer
    }

    private var pooledBuffer: UnsafeMutableRawPointer?
    private var pooledBytes = 0

    deinit {
        dnnl_memory_destroy(handle)
        if let pooledBuffer { ActivationPool.shared.give(pooledBuffer, byteCount: pooledBytes) }
    }
}

/// A primitive with its descriptor.
final class DNNLPrimitive {
    let primitive: dnnl_primitive_t
    let descriptor: dnnl_primitive_desc_t

    init(descriptor: dnnl_primitive_desc_t) throws {
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor), "dnnl_primitive_create")
        self.primitive = primitive!
        self.descriptor = descriptor
    }

    /// Creates the primitive for an operation descriptor (`description` points at a
    /// `dnnl_*_desc_t`), with optional attributes; its first run is noted in the kernel log as `kind`.
    convenience init(_ description: UnsafeRawPointer, attributes: DNNLAttributes? = nil, kind: String, context: DNNL) throws {
        var pd: dnnl_primitive_desc_t?
        try check(
            dnnl_primitive_desc_create(&pd, description, attributes?.handle, context.engine, nil),
            "dnnl_primitive_desc_create(\(kind))")
        try self.init(descriptor: pd!)
        self.kind = kind
    }

    /// What the kernel log calls it (nil: not logged, e.g. reorders); cleared once logged.
    private var kind: String?

    /// oneDNN's name for the kernel it chose, e.g. `brgconv:avx512_core`.
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return "?" }
        return String(cString: name)
    }

    private var dataTypes: String {
        let source = dnnl_primitive_desc_query_md(descriptor, dnnl_query_src_md, 0)?.pointee.data_type
        let destination = dnnl_primitive_desc_query_md(descriptor, dnnl_query_dst_md, 0)?.pointee.data_type
        return [source, destination].compactMap { $0.map(ElementType.name) }.joined(separator: "→")
    }

    func execute(_ arguments: [(Int32, DNNLMemory)], stream: dnnl_stream_t) throws {
        var args = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        try check(dnnl_primitive_execute(primitive, stream, Int32(args.count), &args), "dnnl_primitive_execute")
        try check(dnnl_stream_wait(stream), "dnnl_stream_wait")
    }

    /// Executes the primitive, lending it the context's shared scratch buffer when it was made
    /// with a user scratchpad (`DNNLAttributes(userScratchpad: true)`). Kernels are logged when
    /// they first run, not when made: some are made only to be compared and dropped.
    func execute(_ arguments: [(Int32, DNNLMemory)], context: DNNL) throws {
        if let kind {
            context.kernels.record(kind: kind, implementation: implementation, types: dataTypes)
            self.kind = nil
        }
        guard scratchpadBytes > 0 else { return try execute(arguments, stream: context.stream) }
        let scratch = try DNNLMemory(scratchpadDesc, engine: context.engine, pointer: context.scratchpad(scratchpadBytes))
        try execute(arguments + [(argScratchpad, scratch)], stream: context.stream)
    }

    /// The scratch the primitive asks for (queried once: strips run a primitive hundreds of times).
    private lazy var scratchpadDesc = queryMD(dnnl_query_scratchpad_md)
    private(set) lazy var scratchpadBytes: Int = {
        var desc = scratchpadDesc
        return Int(dnnl_memory_desc_get_size(&desc))
    }()

    func queryMD(_ what: dnnl_query_t) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(descriptor, what, 0)?.pointee ?? dnnl_memory_desc_t()
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }
}

let argSource: Int32 = 1
let argDestination: Int32 = 17
let argWeights: Int32 = 33
let argBias: Int32 = 41
let argScratchpad: Int32 = 80

/// A reorder between two layouts of the same tensor, kept for repeated use.
func reorderPrimitive(from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, context: DNNL) throws -> DNNLPrimitive {
    var pd: dnnl_primitive_desc_t?
    var source = from
    var destination = to
    try check(
        dnnl_reorder_primitive_desc_create(&pd, &source, context.engine, &destination, context.engine, nil),
        "dnnl_reorder_primitive_desc_create")
    return try DNNLPrimitive(descriptor: pd!)
}

/// Copies between two layouts of the same tensor, once.
func reorder(_ from: DNNLMemory, to: DNNLMemory, context: DNNL) throws {
    try reorderPrimitive(from: from.desc, to: to.desc, context: context).execute([(argFrom, from), (argTo, to)], stream: context.stream)
}

let argFrom: Int32 = 1
let argTo: Int32 = 17

/// Primitive attributes: fused post-ops (accumulate into the destination, then an activation),
/// a scale on the output, and whether the caller lends the scratch memory.
final class DNNLAttributes {
    let handle: dnnl_primitive_attr_t

    init(
        accumulate: Bool = false, activation: dnnl_alg_kind_t? = nil, alpha: Float = 0, beta: Float = 0, outputScale: Float? = nil,
        userScratchpad: Bool = false
    ) throws {
        var attr: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attr), "dnnl_primitive_attr_create")
        handle = attr!
        if userScratchpad {
            try check(dnnl_primitive_attr_set_scratchpad_mode(handle, dnnl_scratchpad_mode_user), "dnnl_primitive_attr_set_scratchpad_mode")
        }
        if accumulate || activation != nil {
            var postOps: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&postOps), "dnnl_post_ops_create")
            defer { dnnl_post_ops_destroy(postOps) }
            if accumulate { try check(dnnl_post_ops_append_sum(postOps, 1), "dnnl_post_ops_append_sum") }
            if let activation {
                try check(dnnl_post_ops_append_eltwise(postOps, 1, activation, alpha, beta), "dnnl_post_ops_append_eltwise")
            }
            try check(dnnl_primitive_attr_set_post_ops(handle, postOps), "dnnl_primitive_attr_set_post_ops")
        }
        if var scale = outputScale {
            try check(dnnl_primitive_attr_set_output_scales(handle, 1, 0, &scale), "dnnl_primitive_attr_set_output_scales")
        }
    }

    deinit { dnnl_primitive_attr_destroy(handle) }
}

/// Which oneDNN kernels the decoders have created, for `--verbose`.
public final class KernelLog: Sendable {
    private let entries = Mutex<[String]>([])

    func record(kind: String, implementation: String, types: String) {
        let line = "\(kind): \(implementation) (\(types))"
        let isNew = entries.withLock { entries in
            guard !entries.contains(line) else { return false }
            entries.append(line)
            return true
        }
        if isNew { NativeRuntime.kernelObserver?(line) }
    }

    public var lines: [String] { entries.withLock { $0 } }
}
