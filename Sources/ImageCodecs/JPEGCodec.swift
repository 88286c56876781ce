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

    /// The header's size (and whether the pixels are CMYK or YCCK) as TurboJPEG reads it with
    /// `handle`; nil when it does not parse.
    private static func header(_ bytes: [UInt8], handle: tjhandle) -> (width: Int32, height: Int32, cmyk: Bool)? {
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        let status = bytes.withUnsafeBufferPointer { buffer in
            tjDecompressHeader3(handle, buffer.baseAddress, UInt(buffer.count), &width, &height, &subsampling, &colorspace)
        }
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        return status == 0 ? (width, height, cmyk) : nil
    }

    /// Decodes what is there; a warning (e.g. premature end of data) still yields pixels, and only
    /// hard errors fail. With `complete`, any warning fails too: an answer cut short is not an image.
    public static func decode(_ bytes: [UInt8], complete: Bool = false) throws(ImageCodecError) -> RGBImage {
        guard let handle = tjInitDecompress() else { throw .jpeg("cannot create a decompressor") }
        defer { tjDestroy(handle) }
        guard let (width, height, cmyk) = header(bytes, handle: handle) else { throw .jpeg(String(cString: tjGetErrorStr2(handle))) }
        guard width > 0, height > 0, width <= ImageLimits.maxSide, height <= ImageLimits.maxSide else {
            throw .tooLarge(width: Int(width), height: Int(height))
        }
        // Huffman coding spends at least a bit on every 8×8 block; one bit per eight blocks leaves
        // room for arithmetic coding. A header claiming more is cut short or hostile, and decoding it
        // would allocate for pixels the file does not hold.
        guard Int(width) * Int(height) <= 4096 * bytes.count else {
            throw .moreThanItsBytesHold(width: Int(width), height: Int(height), bytes: bytes.count)
        }
        // TurboJPEG will not turn CMYK into RGB; it hands the inks over for PIL's conversion below.
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * (cmyk ? 4 : 3))
        let status = bytes.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { destination in
                tjDecompress2(
                    handle, source.baseAddress, UInt(source.count), destination.baseAddress, width, 0, height,
                    Int32(format.rawValue), 0)
            }
        }
        if status != 0 {
            let message = String(cString: tjGetErrorStr2(handle))
            if tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue) { throw .jpeg(message) }
            if complete { throw .cutShort(format: "JPEG", detail: message) }
        }
        return try RGBImage(width: Int(width), height: Int(height), pixels: cmyk ? rgb(fromStoredCMYK: pixels) : pixels)
    }

    /// Pillow's `Image.open(…).convert("RGB")` of a CMYK JPEG: the stored inks are read inverted
    /// (Pillow always assumes Adobe's polarity, as Photoshop and Pillow itself write them), then
    /// each channel is `(255 − K) − C·(255 − K)/255` with Pillow's rounding (`cmyk2rgb`).
    static func rgb(fromStoredCMYK stored: [UInt8]) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: stored.count / 4 * 3)
        for pixel in 0..<(stored.count / 4) {
            // Stored inverted, so the stored K byte is already Pillow's 255 − K.
            let white = Int(stored[4 * pixel + 3])
            for channel in 0..<3 {
                let ink = 255 - Int(stored[4 * pixel + channel])
                let product = ink * white + 128
                rgb[3 * pixel + channel] = UInt8(clamping: white - (((product >> 8) + product) >> 8))
            }
        }
        return rgb
    }
}
