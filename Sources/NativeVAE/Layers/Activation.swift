import CDNNL
import Foundation

/// How activations are stored.
enum ElementType: Sendable, Equatable {
    case f32
    case bf16

    var dnnl: dnnl_data_type_t { self == .f32 ? dnnl_f32 : dnnl_bf16 }
    var size: Int { self == .f32 ? 4 : 2 }
    var name: String { self == .f32 ? "f32" : "bf16" }

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

/// How an activation's channels are laid out around its pixels.
enum ActivationLayout: Hashable, Sendable {
    /// NHWC: each pixel's channels together.
    case channelsLast
    /// oneDNN's nChw16c / nChw8c: channels in blocks of 16 or 8, each block a channels-last image.
    case blocked(Int)

    static let all: [ActivationLayout] = [.channelsLast, .blocked(16), .blocked(8)]

    /// Channels stored together per pixel.
    func block(channels: Int) -> Int {
        switch self {
        case .channelsLast: channels
        case .blocked(let size): size
        }
    }

    func fits(channels: Int) -> Bool { channels % block(channels: channels) == 0 }

    var tag: dnnl_format_tag_t {
        switch self {
        case .channelsLast: dnnl_nhwc
        case .blocked(16): dnnl_nChw16c
        case .blocked: dnnl_nChw8c
        }
    }
}

/// One image's activations (batch 1) in a layout that keeps a pixel's channels together: channels
/// last, or oneDNN's blocked layouts where each block of 16 or 8 channels is its own channels-last
/// image — element (c, p) is at `((c / block) · pixels + p) · block + c % block`. Convolutions pick
/// the layout their fastest kernel wants; GroupNorm, SiLU and upsampling work on any of them, so
/// data moves between layouts only where a kernel insists.
///
/// Noncopyable, so every buffer has one owner: layers that may overwrite their input take it
/// `inout` or `consuming`, and the memory is released the moment its last owner is done (to
/// `ActivationPool`, for the next buffer of its size), which keeps a decode's peak near its two or
/// three largest live activations.
struct Activation: ~Copyable {
    let channels: Int
    let height: Int
    let width: Int
    let type: ElementType
    let layout: ActivationLayout
    let pointer: UnsafeMutableRawPointer
    /// Bytes allocated (more than the contents after `reinterpreted`).
    private let capacity: Int

    init(channels: Int, height: Int, width: Int, type: ElementType, layout: ActivationLayout = .channelsLast) {
        precondition(layout.fits(channels: channels), "blocked layouts are used only when the blocks divide the channels")
        self.channels = channels
        self.height = height
        self.width = width
        self.type = type
        self.layout = layout
        // Uninitialised (or a recycled buffer's old values): every producer writes all of it.
        capacity = max(1, channels * height * width * type.size)
        pointer = ActivationPool.shared.take(byteCount: capacity)
    }

    deinit { ActivationPool.shared.give(pointer, byteCount: capacity) }

    private init(
        adopting pointer: UnsafeMutableRawPointer, capacity: Int, channels: Int, height: Int, width: Int, type: ElementType,
        layout: ActivationLayout
    ) {
        self.channels = channels
        self.height = height
        self.width = width
        self.type = type
        self.layout = layout
        self.pointer = pointer
        self.capacity = capacity
    }

    /// The same buffer as an activation of `channels` channels in the same layout, for a producer
    /// that overwrites all of it (in channels last the old values do not line up with the new shape).
    consuming func overwritten(channels: Int) -> Activation {
        precondition(channels <= self.channels && layout.fits(channels: channels))
        let (pointer, capacity, height, width, type, layout) = (
            self.pointer, self.capacity, self.height, self.width, self.type, self.layout
        )
        discard self
        return Activation(
            adopting: pointer, capacity: capacity, channels: channels, height: height, width: width, type: type, layout: layout)
    }

    /// The same memory read as its first `channels` channels (blocked layouts only, where those
    /// are the leading blocks); the rest of the buffer stays allocated until this one is freed.
    consuming func reinterpreted(channels: Int) -> Activation {
        precondition(channels <= self.channels && channels % block == 0 && layout != .channelsLast)
        let (pointer, capacity, height, width, type, layout) = (
            self.pointer, self.capacity, self.height, self.width, self.type, self.layout
        )
        discard self
        return Activation(
            adopting: pointer, capacity: capacity, channels: channels, height: height, width: width, type: type, layout: layout)
    }

    var pixels: Int { height * width }
    var count: Int { channels * pixels }
    /// Channels stored together per pixel.
    var block: Int { layout.block(channels: channels) }

    func memory(_ context: DNNL) throws -> DNNLMemory {
        try DNNLMemory(try Activation.descriptor(channels, height, width, type, layout: layout), engine: context.engine, pointer: pointer)
    }

    static func descriptor(_ channels: Int, _ height: Int, _ width: Int, _ type: ElementType, layout: ActivationLayout) throws
        -> dnnl_memory_desc_t
    {
        try memoryDesc([1, channels, height, width], tag: layout.tag, type: type.dnnl)
    }

    /// Which layout `desc` is, when it is one an `Activation` stores.
    static func layout(of desc: dnnl_memory_desc_t, channels: Int, height: Int, width: Int, type: ElementType) -> ActivationLayout? {
        var desc = desc
        for layout in ActivationLayout.all where layout.fits(channels: channels) {
            guard var candidate = try? descriptor(channels, height, width, type, layout: layout) else { continue }
            if dnnl_memory_desc_equal(&desc, &candidate) != 0 { return layout }
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

    /// A copy in another element type or layout.
    func converted(to type: ElementType, layout: ActivationLayout, context: DNNL) throws -> Activation {
        let result = Activation(channels: channels, height: height, width: width, type: type, layout: layout)
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

    /// Nearest-neighbour 2× upsampling.
    func upsampled() -> Activation {
        let result = Activation(channels: channels, height: height * 2, width: width * 2, type: type, layout: layout)
        let pixelBytes = block * type.size
        let (source, target) = (UnsafeSendable(pointer), UnsafeSendable(result.pointer))
        let (rows, width, pixels) = (height * 2, width, pixels)
        // Every (block, output row) pair is its own piece: channels-last data is a single block.
        parallelFor(channels / block * rows) { piece in
            let (b, y) = piece.quotientAndRemainder(dividingBy: rows)
            let input = source.value + (b * pixels + (y / 2) * width) * pixelBytes
            let output = target.value + (b * 4 * pixels + y * width * 2) * pixelBytes
            for x in 0..<(width * 2) { (output + x * pixelBytes).copyMemory(from: input + (x / 2) * pixelBytes, byteCount: pixelBytes) }
        }
        return result
    }
}
