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

/// An image to encode, opened from `path`, as `EncoderImage` makes it ready (the same as
/// `latentty encode`): resized down to multiples of 8 as `VaeImageProcessor` does, grey, palette,
/// alpha and CMYK images converted as PIL's `convert("RGB")` does, a file cut short refused.
public struct SourceImage: Sendable, Equatable {
    /// Where it was opened from; the latent's metadata names it.
    public var path: String
    /// The PNG an endpoint is sent; the journal keeps these bytes.
    public var png: [UInt8] { prepared.png }
    /// The pixels that are encoded.
    public var image: RGBImage { prepared.image }
    private var prepared: EncoderImage

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
        do {
            prepared = try EncoderImage(bytes: bytes)
        } catch let error as EncoderInput.Failure {
            throw .unusableSize(name: name, error)
        } catch {
            // EncoderImage throws only these two kinds when nothing is admitted by a caller.
            throw .badImage(name: name, error as? ImageCodecError ?? .notAnImage)
        }
        self.path = path
    }

    /// The file's name without its extension: the job's and the latent's name.
    public var name: String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }

    /// Whether a file name says it is an image the workbench encodes (`.png`, `.jpg`, `.jpeg`, any case).
    public static func isImage(_ path: String) -> Bool {
        extensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]
}
