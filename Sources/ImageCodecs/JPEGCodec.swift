import CTurboJPEG
import Glibc

/// JPEG through libjpeg-turbo's TurboJPEG API.
public enum JPEGCodec {
    public static func encode(_ image: RGBImage, quality: Int = 95) throws(ImageCodecError) -> [UInt8] {
        guard let handle = tjInitCompress() else { throw .jpeg("cannot create a compressor") }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            tjCompress2(
                handle, pixels.baseAddress, Int32(image.width), 0, Int32(image.height),
                Int32(TJPF_RGB.rawValue),
                &output, &size, Int32(TJSAMP_420.rawValue), Int32(min(max(quality, 1), 100)), 0)
        }
        defer { tjFree(output) }
        guard status == 0, let output else { throw .jpeg(String(cString: tjGetErrorStr2(handle))) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    /// Width and height from the header alone; nil when the header does not parse.
    public static func dimensions(of bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard let handle = tjInitDecompress() else { return nil }
        defer { tjDestroy(handle) }
        return header(bytes, handle: handle).map { (Int($0.width), Int($0.height)) }
    }

    /// The header's size as TurboJPEG reads it with `handle`; nil when it does not parse.
    private static func header(_ bytes: [UInt8], handle: tjhandle) -> (width: Int32, height: Int32)? {
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        let status = bytes.withUnsafeBufferPointer { buffer in
            tjDecompressHeader3(handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling, &colorspace)
        }
        return status == 0 ? (width, height) : nil
    }

    /// Decodes what is there; a warning (e.g. premature end of data) still yields pixels, and only
    /// hard errors fail. With `complete`, any warning fails too: an answer cut short is not an image.
    public static func decode(_ bytes: [UInt8], complete: Bool = false) throws(ImageCodecError) -> RGBImage {
        guard let handle = tjInitDecompress() else { throw .jpeg("cannot create a decompressor") }
        defer { tjDestroy(handle) }
        guard let (width, height) = header(bytes, handle: handle) else { throw .jpeg(String(cString: tjGetErrorStr2(handle))) }
        guard width > 0, height > 0, width <= ImageLimits.maxSide, height <= ImageLimits.maxSide else {
            throw .tooLarge(width: Int(width), height: Int(height))
        }
        // Huffman coding spends at least a bit on every 8×8 block; one bit per eight blocks leaves
        // room for arithmetic coding. A header claiming more is cut short or hostile, and decoding it
        // would allocate for pixels the file does not hold.
        guard Int(width) * Int(height) <= 4096 * bytes.count else {
            throw .moreThanItsBytesHold(width: Int(width), height: Int(height), bytes: bytes.count)
        }
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
        let status = bytes.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { destination in
                tjDecompress2(
                    handle, source.baseAddress, UInt(source.count), destination.baseAddress, width, 0, height,
                    Int32(TJPF_RGB.rawValue), 0)
            }
        }
        if status != 0, complete || tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue) {
            throw .jpeg(String(cString: tjGetErrorStr2(handle)))
        }
        return try RGBImage(width: Int(width), height: Int(height), pixels: pixels)
    }
}
