/// An image file made ready for an encoder, the one way `latentty encode` and the workbench both
/// take: its size checked from the header before any pixel is decoded, decoded whole (a file cut
/// short is refused), resized as `VaeImageProcessor` does or to a size asked for, and the PNG an
/// endpoint is sent — the file's own bytes when it is a PNG left as it is, since diffusers sends
/// PIL's PNG.
public struct EncoderImage: Sendable, Equatable {
    public var png: [UInt8]
    /// The pixels that are encoded.
    public var image: RGBImage
    /// The file's own size; it differs from the image's when the image was resized.
    public var originalWidth: Int
    public var originalHeight: Int

    public var wasResized: Bool { originalWidth != image.width || originalHeight != image.height }

    /// `bytes` (a PNG or JPEG file's contents) at `size` when given, else with each side down to a
    /// multiple of 8. `admit` sees the header's width and height first and may refuse them.
    /// Throws `ImageCodecError` for files that are no image, cut short or too large to read,
    /// `EncoderInput.Failure` for sizes the encoder cannot take, and whatever `admit` throws.
    public init(
        bytes: [UInt8], size: (width: Int, height: Int)? = nil, admit: (_ width: Int, _ height: Int) throws -> Void = { _, _ in }
    ) throws {
        let (original, image) = try Self.decoded(bytes, size: size, admit: admit)
        png = image == original && ImageDecoder.kind(of: bytes) == .png ? bytes : try PNGCodec.encode(image)
        self.image = image
        (originalWidth, originalHeight) = (original.width, original.height)
    }

    /// The pixels an encoder takes, the same way, for a caller that sends no PNG on (a server).
    public static func pixels(
        of bytes: [UInt8], size: (width: Int, height: Int)? = nil, admit: (_ width: Int, _ height: Int) throws -> Void = { _, _ in }
    ) throws -> RGBImage {
        try decoded(bytes, size: size, admit: admit).image
    }

    /// The file's pixels and the image made of them for the encoder.
    private static func decoded(
        _ bytes: [UInt8], size: (width: Int, height: Int)?, admit: (_ width: Int, _ height: Int) throws -> Void
    ) throws -> (original: RGBImage, image: RGBImage) {
        guard ImageDecoder.kind(of: bytes) != nil else { throw ImageCodecError.notAnImage }
        if let (width, height) = ImageDecoder.dimensions(of: bytes) {
            guard width <= ImageLimits.maxSide, height <= ImageLimits.maxSide else {
                throw ImageCodecError.tooLarge(width: width, height: height)
            }
            try admit(width, height)
        }
        let original = try ImageDecoder.decode(bytes, complete: true)
        let image =
            if let size, size.width != original.width || size.height != original.height {
                try LanczosResize.resize(original, width: size.width, height: size.height)
            } else if size == nil {
                try EncoderInput.resized(original)
            } else {
                original
            }
        return (original, image)
    }
}
