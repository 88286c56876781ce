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

/// One image's activations, channels last (NHWC, batch 1): the layout oneDNN's direct
/// convolutions run on without reorders, where a pixel's channels are one contiguous row (so the
/// attention's operands and GroupNorm's groups need no transposes either).
///
/// Noncopyable, so every buffer has one owner: layers that may overwrite their input take it
/// `inout` or `consuming`, and the memory goes back the moment its last owner is done, which
/// keeps a decode's peak near its two or three largest live activations.
struct Activation: ~Copyable {
    let channels: Int
    let height: Int
    let width: Int
    let type: ElementType
    let pointer: UnsafeMutableRawPointer

    init(channels: Int, height: Int, width: Int, type: ElementType) {
        self.channels = channels
        self.height = height
        self.width = width
        self.type = type
        // Uninitialised: every producer writes all of it.
        pointer = .allocate(byteCount: max(1, channels * height * width * type.size), alignment: 64)
    }

    deinit { pointer.deallocate() }

    var pixels: Int { height * width }
    var count: Int { channels * pixels }

    func memory(_ context: DNNL) throws -> DNNLMemory {
        try DNNLMemory(try Activation.descriptor(channels, height, width, type), engine: context.engine, pointer: pointer)
    }

    static func descriptor(_ channels: Int, _ height: Int, _ width: Int, _ type: ElementType) throws -> dnnl_memory_desc_t {
        try memoryDesc([1, channels, height, width], tag: dnnl_nhwc, type: type.dnnl)
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

    /// A copy in another element type.
    func converted(to type: ElementType, context: DNNL) throws -> Activation {
        let result = Activation(channels: channels, height: height, width: width, type: type)
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

    /// Nearest-neighbour 2× upsampling: each output row pair copies whole pixels from one input row.
    func upsampled() -> Activation {
        let result = Activation(channels: channels, height: height * 2, width: width * 2, type: type)
        let pixelBytes = channels * type.size
        let (source, target) = (UnsafeSendable(UnsafeRawPointer(pointer)), UnsafeSendable(result.pointer))
        let (width, outRowBytes) = (width, width * 2 * pixelBytes)
        parallelFor(height) { y in
            let input = source.value + y * width * pixelBytes
            let output = target.value + 2 * y * outRowBytes
            for x in 0..<width {
                output.advanced(by: 2 * x * pixelBytes).copyMemory(from: input + x * pixelBytes, byteCount: pixelBytes)
                output.advanced(by: (2 * x + 1) * pixelBytes).copyMemory(from: input + x * pixelBytes, byteCount: pixelBytes)
            }
            (output + outRowBytes).copyMemory(from: output, byteCount: outRowBytes)
        }
        return result
    }
}
