/// An 8-bit RGB image, rows top to bottom, no padding: what decoders produce and codecs consume.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) throws(ImageCodecError) {
        guard width > 0, height > 0, width <= ImageLimits.maxSide, height <= ImageLimits.maxSide,
            pixels.count == width * height * 3
        else { throw .invalidDimensions(width: width, height: height, bytes: pixels.count) }
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Decoders refuse anything larger, so a lying header cannot buy a huge allocation.
public enum ImageLimits {
    public static let maxSide = 16_384
}

public enum ImageCodecError: Error, Equatable, CustomStringConvertible {
    case invalidDimensions(width: Int, height: Int, bytes: Int)
    case notAnImage
    case jpeg(String)
    case png(String)
    case tooLarge(width: Int, height: Int)
    case moreThanItsBytesHold(width: Int, height: Int, bytes: Int)
    /// The file ends (or breaks) before its image does; `format` is PNG or JPEG.
    case cutShort(format: String, detail: String)

    public var description: String {
        switch self {
        case .invalidDimensions(let width, let height, let bytes):
            "an RGB image of \(width)×\(height) needs \(width * height * 3) bytes of pixels, not \(bytes) (sides up to \(ImageLimits.maxSide))"
        case .notAnImage:
            "the data is neither JPEG nor PNG"
        case .jpeg(let message):
            "JPEG: \(message)"
        case .png(let message):
            "PNG: \(message)"
        case .tooLarge(let width, let height):
            "the image claims \(width)×\(height) pixels, beyond the \(ImageLimits.maxSide)-pixel side limit"
        case .moreThanItsBytesHold(let width, let height, let bytes):
            "the image claims \(width)×\(height) pixels, more than its \(bytes) bytes can encode; it is cut short or corrupt"
        case .cutShort(let format, let detail):
            "the \(format) is cut short or corrupt (\(detail)): it ends before its image does; copy or export it again"
        }
    }
}

/// Detects JPEG or PNG by magic bytes and decodes to RGB.
public enum ImageDecoder {
    public enum Kind: String, Sendable { case jpeg, png }

    public static func kind(of bytes: [UInt8]) -> Kind? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        return nil
    }

    /// Width and height as the image's header states them, read without decoding any pixels.
    public static func dimensions(of bytes: [UInt8]) -> (width: Int, height: Int)? {
        switch kind(of: bytes) {
        case .png:
            // IHDR is the first chunk: length, "IHDR", then width and height as big-endian UInt32.
            guard bytes.count >= 24, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
            func bigEndian(_ offset: Int) -> Int { bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
            return (bigEndian(16), bigEndian(20))
        case .jpeg: return JPEGCodec.dimensions(of: bytes)
        case nil: return nil
        }
    }

    /// With `complete`, a JPEG whose data breaks off fails instead of giving the rows it has (a
    /// PNG always fails): what is encoded must be the whole picture.
    public static func decode(_ bytes: [UInt8], complete: Bool = false) throws(ImageCodecError) -> RGBImage {
        switch kind(of: bytes) {
        case .jpeg: return try JPEGCodec.decode(bytes, complete: complete)
        case .png: return try PNGCodec.decode(bytes).image
        case nil: throw .notAnImage
        }
    }
}
