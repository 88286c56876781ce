import Foundation
import ImageCodecs
import LatentKit

/// Why an image file cannot be encoded, in one sentence that names the file.
public enum SourceImageError: Error, Equatable, CustomStringConvertible {
    case unreadable(FileSystemError)
    case badImage(name: String, ImageCodecError)
    case unusableSize(name: String, EncoderInput.Failure)

    public var description: String {
        switch self {
        case .unreadable(let error): error.description
        case .badImage(let name, .notAnImage): "\(name) is not a PNG or JPEG image"
        case .badImage(let name, let error): "\(name) cannot be encoded: \(error)"
        case .unusableSize(let name, let failure): "\(name) cannot be encoded: \(failure)"
        }
    }
}

/// An image to encode, as the encoder takes it: sides resized down to multiples of 8 as
/// diffusers' `VaeImageProcessor` does, grey, palette and alpha images converted to RGB as PIL's
/// `convert("RGB")` does (the decoders' job).
public struct SourceImage: Sendable, Equatable {
    /// Where it was opened from; the latent's metadata names it.
    public var path: String
    /// The PNG an endpoint is sent (diffusers sends PIL's PNG): the file's own bytes when it is a
    /// PNG encoded as it is, else the PNG of the pixels below. The journal keeps these bytes.
    public var png: [UInt8]
    /// The pixels that are encoded.
    public var image: RGBImage

    /// Reads and checks an image file; a file that cannot be encoded is refused here, in words.
    public static func read(_ path: String) throws(SourceImageError) -> SourceImage {
        let url = URL(fileURLWithPath: path)
        let bytes: [UInt8]
        do {
            bytes = try FileSystemError.accessing(url, for: .reading) { [UInt8](try Data(contentsOf: url)) }
        } catch {
            throw .unreadable(error)
        }
        return try SourceImage(path: path, bytes: bytes)
    }

    /// The image in `bytes` (a PNG or JPEG file's contents), opened from `path`.
    public init(path: String, bytes: [UInt8]) throws(SourceImageError) {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let original: RGBImage
        do {
            original = try ImageDecoder.decode(bytes, complete: true)
        } catch {
            throw .badImage(name: name, error)
        }
        let image: RGBImage
        do {
            image = try EncoderInput.resized(original)
        } catch {
            throw .unusableSize(name: name, error)
        }
        let png: [UInt8]
        if image == original, ImageDecoder.kind(of: bytes) == .png {
            png = bytes
        } else {
            do {
                png = try PNGCodec.encode(image)
            } catch {
                throw .badImage(name: name, error)
            }
        }
        self.path = path
        self.png = png
        self.image = image
    }

    /// The file's name without its extension: the job's and the latent's name.
    public var name: String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }

    /// Whether a file name says it is an image the workbench encodes (`.png`, `.jpg`, `.jpeg`, any case).
    public static func isImage(_ path: String) -> Bool {
        extensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]
}
