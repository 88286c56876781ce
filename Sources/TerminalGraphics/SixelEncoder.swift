import CSixel
import Foundation
import ImageCodecs
import Synchronization

public enum SixelError: Error, Equatable, CustomStringConvertible {
    case encodingFailed(String)

    public var description: String {
        switch self {
        case .encodingFailed(let reason): "sixel encoding failed: \(reason)"
        }
    }
}

/// Sixel through libsixel: a fresh dither and output object per image, an RGB copy (libsixel
/// dithers in place), and one lock around it all because palette building uses global state.
/// Only our own decoded pixels reach libsixel — never a downloaded file through its loaders.
public enum SixelEncoder {
    private static let lock = Mutex(())

    /// The escape sequence that draws `image` at the cursor, from `ESC P q` to `ESC \`.
    public static func encode(_ image: RGBImage, colors: Int = 256) throws(SixelError) -> [UInt8] {
        try lock.withLock { _ throws(SixelError) in try encodeLocked(image, colors: colors) }
    }

    private final class Sink {
        var bytes: [UInt8] = []
    }

    private static func encodeLocked(_ image: RGBImage, colors: Int) throws(SixelError) -> [UInt8] {
        let sink = Sink()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        var output: OpaquePointer? = nil
        guard sixel_output_new(&output, sixelWrite, context, nil) == SIXEL_OK, let output else {
            throw .encodingFailed("cannot create an output context")
        }
        defer { sixel_output_unref(output) }
        var dither: OpaquePointer? = nil
        guard sixel_dither_new(&dither, Int32(max(2, min(colors, 256))), nil) == SIXEL_OK, let dither else {
            throw .encodingFailed("cannot create a dither context")
        }
        defer { sixel_dither_unref(dither) }
        var pixels = image.pixels
        let status = pixels.withUnsafeMutableBufferPointer { buffer -> Int32 in
            let initialized = sixel_dither_initialize(
                dither, buffer.baseAddress, Int32(image.width), Int32(image.height), Int32(SIXEL_PIXELFORMAT_RGB888),
                Int32(SIXEL_LARGE_AUTO), Int32(SIXEL_REP_AUTO), Int32(SIXEL_QUALITY_AUTO))
            guard initialized == SIXEL_OK else { return initialized }
            return sixel_encode(buffer.baseAddress, Int32(image.width), Int32(image.height), 3, dither, output)
        }
        guard status == SIXEL_OK else { throw .encodingFailed(String(cString: sixel_helper_format_error(status))) }
        return sink.bytes
    }

    private static let sixelWrite: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, UnsafeMutableRawPointer?) -> Int32 = {
        data, size, context in
        guard let data, let context, size > 0 else { return 0 }
        let sink = Unmanaged<Sink>.fromOpaque(context).takeUnretainedValue()
        sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: Int(size)))
        return size
    }

    /// Decodes sixel data back to RGB (for tests and for checking what a terminal will show).
    public static func decode(_ sixel: [UInt8]) -> RGBImage? {
        var data = sixel
        var pixels: UnsafeMutablePointer<UInt8>? = nil
        var palette: UnsafeMutablePointer<UInt8>? = nil
        var width: Int32 = 0
        var height: Int32 = 0
        var colors: Int32 = 0
        let status = data.withUnsafeMutableBufferPointer { buffer in
            sixel_decode_raw(buffer.baseAddress, Int32(buffer.count), &pixels, &width, &height, &palette, &colors, nil)
        }
        defer {
            free(pixels)
            free(palette)
        }
        guard status == SIXEL_OK, let pixels, let palette, width > 0, height > 0 else { return nil }
        var rgb = [UInt8](repeating: 0, count: Int(width * height) * 3)
        for index in 0..<Int(width * height) {
            let color = Int(pixels[index])
            rgb[index * 3] = palette[color * 3]
            rgb[index * 3 + 1] = palette[color * 3 + 1]
            rgb[index * 3 + 2] = palette[color * 3 + 2]
        }
        return try? RGBImage(width: Int(width), height: Int(height), pixels: rgb)
    }
}
