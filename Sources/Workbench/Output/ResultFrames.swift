import Foundation
import ImageCodecs
import LatentKit
import Wire

/// A result's pictures: one for an image, several for a batch or a video, read back from the files
/// `OutputWriter` wrote, from a file a person names, or from a decode still in memory. The
/// workbench's preview and `latentty show` both read pictures through here, so they agree on what
/// a file holds.
public struct ResultFrames: Sendable, Equatable {
    public var images: [RGBImage]
    /// Frames per second where the file says (MP4); nil for stills and tensors.
    public var frameRate: Double?

    public init(images: [RGBImage], frameRate: Double? = nil) {
        self.images = images
        self.frameRate = frameRate
    }
}

/// Why a file's pictures cannot be shown, naming the file.
public enum ResultFramesError: Error, Equatable, CustomStringConvertible {
    case unreadable(FileSystemError)
    case badImage(path: String, ImageCodecError)
    case badVideo(path: String, MP4Encoder.EncodeError)
    case badTensorFile(path: String, LatentFileError)
    case notPixels(path: String, TensorImages.ConversionError)
    case noFrames(path: String)
    case noPictures(outputs: [String])

    public var description: String {
        switch self {
        case .unreadable(let error): error.description
        case .badImage(let path, let error): "\(path) is not an image that can be shown: \(error)"
        case .badVideo(let path, let error): "cannot read the video \(path): \(error)"
        case .badTensorFile(let path, let error): "cannot read \(path): \(error)"
        case .notPixels(let path, let error): "\(path) holds no pictures: \(error)"
        case .noFrames(let path): "\(path) holds no frames"
        case .noPictures(let outputs):
            "none of the outputs is a picture (PNG, JPEG, MP4 or a pt result): \(outputs.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))"
        }
    }
}

/// What a file holds: pictures ready to show, or a latent that must be decoded first.
public enum PictureSource: Sendable {
    case frames(ResultFrames)
    case latent(LatentFile)
}

extension ResultFrames {
    /// The frames of a finished job from its output files: the pt tensor where there is one (exact
    /// pixels, every frame), else the video, else its images in name order (a batch). An encode's
    /// latent is no picture: its image is.
    public static func read(outputs: [String]) throws(ResultFramesError) -> ResultFrames {
        let hasImages = outputs.contains { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }
        if let tensorFile = outputs.first(where: { $0.hasSuffix(".safetensors") }) {
            switch try open(tensorFile) {
            case .frames(let frames): return frames
            case .latent where hasImages: break
            case .latent(let file): throw .notPixels(path: tensorFile, .unexpectedShape((try? file.latent().tensor.shape) ?? []))
            }
        }
        if let video = outputs.first(where: { $0.hasSuffix(".mp4") }) { return try self.video(at: URL(fileURLWithPath: video)) }
        let paths = outputs.filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted()
        guard !paths.isEmpty else { throw .noPictures(outputs: outputs) }
        var images: [RGBImage] = []
        for path in paths {
            let data = try contents(of: path)
            do {
                images.append(try ImageDecoder.decode(Array(data)))
            } catch {
                throw .badImage(path: path, error)
            }
        }
        return ResultFrames(images: images)
    }

    /// Reads `path`, recognised by its bytes: a PNG or JPEG, an MP4, a tensor of pixels (a `pt`
    /// result), else a latent file for the caller to decode.
    public static func open(_ path: String) throws(ResultFramesError) -> PictureSource {
        let url = URL(fileURLWithPath: path)
        let data = try contents(of: path)
        if ImageDecoder.kind(of: Array(data.prefix(8))) != nil {
            do {
                return .frames(ResultFrames(images: [try ImageDecoder.decode(Array(data))]))
            } catch {
                throw .badImage(path: path, error)
            }
        }
        // Every MP4 starts with its `ftyp` box: a 4-byte size, then the type.
        if data.count >= 8, data[data.startIndex + 4..<data.startIndex + 8].elementsEqual("ftyp".utf8) {
            return .frames(try video(at: url))
        }
        let file: LatentFile
        do {
            file = try LatentFile.read(data: data, fileName: url.lastPathComponent)
        } catch {
            throw .badTensorFile(path: path, error)
        }
        // Latents have 4 or more channels and are never uint8, so a tensor these conversions take
        // is pixels; anything else (several candidate tensors included) is the decoder's to judge.
        guard let tensor = try? file.latent().tensor, let images = try? TensorImages.images(from: tensor) else {
            return .latent(file)
        }
        guard !images.isEmpty else { throw .noFrames(path: path) }
        return .frames(ResultFrames(images: images))
    }

    /// The frames of a decode's answer; `name` says which, in errors.
    public static func frames(of payload: DecodedPayload, name: String) throws(ResultFramesError) -> ResultFrames {
        switch payload {
        case .image(_, let bytes):
            do {
                return ResultFrames(images: [try ImageDecoder.decode(bytes)])
            } catch {
                throw .badImage(path: name, error)
            }
        case .tensor(let tensor):
            let images: [RGBImage]
            do {
                images = try TensorImages.images(from: tensor)
            } catch {
                throw .notPixels(path: name, error)
            }
            guard !images.isEmpty else { throw .noFrames(path: name) }
            return ResultFrames(images: images)
        case .video(let bytes):
            // ffmpeg reads files, not memory.
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-show-\(UUID().uuidString).mp4")
            defer { try? FileManager.default.removeItem(at: url) }
            do {
                try FileSystemError.accessing(url, for: .writing) { try Data(bytes).write(to: url) }
            } catch {
                throw .unreadable(error)
            }
            return try video(at: url)
        }
    }

    private static func video(at url: URL) throws(ResultFramesError) -> ResultFrames {
        let images: [RGBImage]
        do {
            images = try MP4Decoder.frames(of: url)
        } catch {
            throw .badVideo(path: url.path, error)
        }
        guard !images.isEmpty else { throw .noFrames(path: url.path) }
        return ResultFrames(images: images, frameRate: MP4Decoder.frameRate(of: url))
    }

    private static func contents(of path: String) throws(ResultFramesError) -> Data {
        let url = URL(fileURLWithPath: path)
        do {
            return try FileSystemError.accessing(url, for: .reading) { try Data(contentsOf: url, options: .alwaysMapped) }
        } catch {
            throw .unreadable(error)
        }
    }
}
