import CDNNL
import Foundation

/// How activations are stored.
enum ElementType: Sendable, Equatable {
    case f32
    case bf16

    var dnnl: dnnl_data_type_t { self == .f32 ? dnnl_f32 : dnnl_bf16 }
    var size: Int { self == .f32 ? 4 : 2 }

    init(_ precision: Precision) { self = precision == .f32 ? .f32 : .bf16 }

    static func name(_ type: dnnl_data_type_t) -> String {
        switch type {
        case dnnl_f32: "f32"
        case dnnl_bf16: "bf16"
        case dnnl_f16: "f16"
        default: "type \(type.rawValue)"
        }
    }
}

/// One image's activations (batch 1) in a oneDNN layout that keeps a pixel's channels together:
/// channels last (NHWC), or oneDNN's blocked nChw16c / nChw8c where channels come in blocks of
/// 16 or 8 and each block is its own channels-last image. `block` is the channels per block
/// (`channels` itself for NHWC), so element (c, p) is at `((c / block) · pixels + p) · block + c % block`.
/// Convolutions pick the layout their fastest kernel wants; GroupNorm, SiLU and upsampling work
/// on any of them, so data moves between layouts only where a kernel insists.
///
/// Noncopyable, so every buffer has one owner: layers that may overwrite their input take it
/// `inout` or `consuming`, and the memory goes back the moment its last owner is done, which
/// keeps a decode's peak near its two or three largest live activations.
struct Activation: ~Copyable {
    let channels: Int
    let height: Int
    let width: Int
    let type: ElementType
    let block: Int
    let pointer: UnsafeMutableRawPointer

    /// `block` nil means channels last.
    init(channels: Int, height: Int, width: Int, type: ElementType, block: Int? = nil) {
        self.channels = channels
        self.height = height
        self.width = width
        self.type = type
        self.block = block ?? channels
        precondition(channels % self.block == 0, "blocked layouts are used only when the blocks divide the channels")
        // Uninitialised: every producer writes all of it.
        pointer = .allocate(byteCount: max(1, channels * height * width * type.size), alignment: 64)
    }

    deinit { pointer.deallocate() }

    var pixels: Int { height * width }
    var count: Int { channels * pixels }

    func memory(_ context: DNNL) throws -> DNNLMemory {
        try DNNLMemory(try Activation.descriptor(channels, height, width, type, block: block), engine: context.engine, pointer: pointer)
    }

    static func descriptor(_ channels: Int, _ height: Int, _ width: Int, _ type: ElementType, block: Int) throws -> dnnl_memory_desc_t {
        let tag = block == channels ? dnnl_nhwc : (block == 16 ? dnnl_nChw16c : dnnl_nChw8c)
        return try memoryDesc([1, channels, height, width], tag: tag, type: type.dnnl)
    }

    /// The block size of `desc` when it is one of the layouts above, else nil.
    static func block(of desc: dnnl_memory_desc_t, channels: Int, height: Int, width: Int, type: ElementType) -> Int? {
        var desc = desc
        for block in [channels, 16, 8] where channels % block == 0 {
            guard var candidate = try? descriptor(channels, height, width, type, block: block) else { continue }
            if dnnl_memory_desc_equal(&desc, &candidate) != 0 { return block }
        }
        return nil
    }

    /// The NCHW f32 map at the decoder's boundary, converted by a oneDNN reorder.
    init(_ map: FeatureMap, type: ElementType, context: DNNL) throws {
        self.init(channels: map.channels, height: map.height, width: map.width, type: type)
        var values = map.data
        let target = try memory(context)
        try values.withUnsafeMutableBytes { raw in
            let plain = try DNNLMemory(
                try memoryDesc([1, channels, height, width], tag: dnnl_nchw), engine: context.engine, pointer: raw.baseAddress!)
            try reorder(plain, to: target, context: context)
        }
    }

    /// A copy in another element type or block size.
    func converted(to type: ElementType, block: Int, context: DNNL) throws -> Activation {
        let result = Activation(channels: channels, height: height, width: width, type: type, block: block)
        try reorder(try memory(context), to: try result.memory(context), context: context)
        return result
    }

    /// Back to an NCHW f32 map.
    func featureMap(context: DNNL) throws -> FeatureMap {
        var data = [Float](repeating: 0, count: count)
        try data.withUnsafeMutableBytes { raw in
            let plain = try DNNLMemory(
                try memoryDesc([1, channels, height, width], tag: dnnl_nchw), engine: context.engine, pointer: raw.baseAddress!)
            try reorder(try memory(context), to: plain, context: context)
        }
        return FeatureMap(channels: channels, height: height, width: width, data: data)
    }

    /// Nearest-neighbour 2× upsampling: each output row pair copies whole pixel blocks from one input row.
    func upsampled() -> Activation {
        let result = Activation(channels: channels, height: height * 2, width: width * 2, type: type, block: block)
        let pixelBytes = block * type.size
        let (source, target) = (UnsafeSendable(UnsafeRawPointer(pointer)), UnsafeSendable(result.pointer))
        let (width, height, blocks) = (width, height, channels / block)
        let outRowBytes = width * 2 * pixelBytes
        parallelFor(blocks * height) { row in
            let (b, y) = row.quotientAndRemainder(dividingBy: height)
            let input = source.value + (b * height + y) * width * pixelBytes
            let output = target.value + (b * 2 * height + 2 * y) * outRowBytes
            for x in 0..<width {
                output.advanced(by: 2 * x * pixelBytes).copyMemory(from: input + x * pixelBytes, byteCount: pixelBytes)
                output.advanced(by: (2 * x + 1) * pixelBytes).copyMemory(from: input + x * pixelBytes, byteCount: pixelBytes)
            }
            (output + outRowBytes).copyMemory(from: output, byteCount: outRowBytes)
        }
        return result
    }
}
