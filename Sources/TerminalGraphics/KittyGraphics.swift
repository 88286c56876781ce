import CSystemZlib
import Foundation
import ImageCodecs

public enum KittyGraphicsError: Error, Equatable, CustomStringConvertible {
    case reservedImageID
    case pixelCountMismatch(width: Int, height: Int, bytesPerPixel: Int, bytes: Int)
    case emptyArea(columns: Int, rows: Int)
    case compressionFailed(status: Int32)
    case gridTooLarge(columns: Int, rows: Int, limit: Int)

    public var description: String {
        switch self {
        case .reservedImageID:
            "kitty image id 0 is reserved (it means “no id”); use 1 or more"
        case .pixelCountMismatch(let width, let height, let bytesPerPixel, let bytes):
            "a \(width)×\(height) image at \(bytesPerPixel) bytes per pixel needs \(width * height * bytesPerPixel) bytes, not \(bytes)"
        case .emptyArea(let columns, let rows):
            "an image needs at least one cell, not \(columns)×\(rows)"
        case .compressionFailed(let status):
            "zlib could not compress the pixels (status \(status))"
        case .gridTooLarge(let columns, let rows, let limit):
            "kitty placeholders address at most \(limit)×\(limit) cells, not \(columns)×\(rows)"
        }
    }
}

/// The kitty graphics protocol as bytes: transmit pixels once under an image id, then place and
/// delete by id, so re-showing an image (scrolling, switching jobs, video frames) never re-sends it.
/// Every command is quiet (`q=2`) so no reply lands in the application's input stream.
public enum KittyGraphics {
    public enum PixelFormat: Int, Sendable {
        case rgb = 24
        case rgba = 32

        var bytesPerPixel: Int { rawValue / 8 }
    }

    /// kitty's limit on the base64 payload of one escape sequence; a multiple of 4 so every chunk
    /// but the last decodes on its own.
    public static let maxChunk = 4096

    /// Transmits (`a=t`) without displaying; `place` shows it.
    public static func transmit(_ image: RGBImage, id: UInt32) throws(KittyGraphicsError) -> [UInt8] {
        try transmit(pixels: image.pixels, width: image.width, height: image.height, format: .rgb, id: id)
    }

    public static func transmit(pixels: [UInt8], width: Int, height: Int, format: PixelFormat, id: UInt32)
        throws(KittyGraphicsError) -> [UInt8]
    {
        guard id != 0 else { throw .reservedImageID }
        guard width > 0, height > 0, pixels.count == width * height * format.bytesPerPixel else {
            throw .pixelCountMismatch(width: width, height: height, bytesPerPixel: format.bytesPerPixel, bytes: pixels.count)
        }
        var keys = "a=t,f=\(format.rawValue),s=\(width),v=\(height),i=\(id),q=2"
        var payload = pixels
        if let compressed = try compressedIfItPays(pixels) {
            keys += ",o=z"
            payload = compressed
        }
        return chunked(keys: keys, base64: Array(Data(payload).base64EncodedData()))
    }

    /// Shows image `id` at the cursor, scaled into `columns`×`rows` cells, leaving the cursor where
    /// it was (`C=1`). Placing again with the same `placement` moves that placement instead of
    /// adding another.
    public static func place(id: UInt32, placement: UInt32 = 1, columns: Int, rows: Int) throws(KittyGraphicsError)
        -> [UInt8]
    {
        guard id != 0 else { throw .reservedImageID }
        guard columns > 0, rows > 0 else { throw .emptyArea(columns: columns, rows: rows) }
        return command("a=p,i=\(id),p=\(placement),c=\(columns),r=\(rows),C=1,q=2")
    }

    /// Removes image `id`'s placements. With `freeData` the terminal also forgets the pixels (`d=I`);
    /// without it (`d=i`) they stay cached and a later `place` shows them without a re-send.
    public static func delete(id: UInt32, freeData: Bool = false) throws(KittyGraphicsError) -> [UInt8] {
        guard id != 0 else { throw .reservedImageID }
        return command("a=d,d=\(freeData ? "I" : "i"),i=\(id),q=2")
    }

    /// One graphics command: `ESC _ G <keys> [; <payload>] ESC \`.
    static func command(_ keys: String, payload: ArraySlice<UInt8>? = nil) -> [UInt8] {
        var bytes: [UInt8] = [0x1B, 0x5F, 0x47] + Array(keys.utf8)
        if let payload { bytes += [0x3B] + payload }
        return bytes + [0x1B, 0x5C]
    }

    /// Only the first chunk carries the keys; `m=1` says more follows, `m=0` ends the image. Later
    /// chunks repeat `q=2` (the one other key they may carry) so no kitty version answers them.
    static func chunked(keys: String, base64: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        var start = 0
        repeat {
            let end = min(start + maxChunk, base64.count)
            let more = end < base64.count ? 1 : 0
            let chunkKeys = start == 0 ? "\(keys),m=\(more)" : "m=\(more),q=2"
            bytes += command(chunkKeys, payload: base64[start..<end])
            start = end
        } while start < base64.count
        return bytes
    }

    /// zlib data when it is at least a tenth smaller: inflating costs the terminal time, which a
    /// marginal saving (noise, photographs) does not repay.
    static func compressedIfItPays(_ bytes: [UInt8]) throws(KittyGraphicsError) -> [UInt8]? {
        var size = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(size))
        let status = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &size, input.baseAddress, uLong(input.count), Z_DEFAULT_COMPRESSION)
            }
        }
        guard status == Z_OK else { throw .compressionFailed(status: status) }
        guard Int(size) * 10 <= bytes.count * 9 else { return nil }
        return Array(output.prefix(Int(size)))
    }
}
