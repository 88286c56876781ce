import DecodePipeline
import Foundation
import ImageCodecs
import LatentKit
import Wire

/// Saves a finished decode: images (PNG with text-chunk metadata, or JPEG as sent), tensors as
/// safetensors, video as MP4, and a `<name>.json` sidecar describing the job. A result's files are
/// all written under temporary names first and published under a stem reserved for this result
/// alone (see `SafeFolder`), so a failure or a kill never leaves half a file or half a result
/// where a finished one would be, and two results never share or overwrite names.
public struct OutputWriter: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public struct Sidecar: Codable, Sendable {
        public var job: String
        public var preset: String
        public var source: String
        public var seed: UInt64?
        public var latentShape: [Int]
        public var latentDType: String
        public var backend: String
        public var endpoint: String?
        public var engine: String?
        public var outputType: String
        public var timings: [String: Double]
        public var outputs: [String]
    }

    /// Writes `result`'s files. With `frames` (the job asks for frame PNGs), the frames it has not
    /// written while decoding are written from the result, and everything goes under its stem.
    public func write(_ result: DecodeResult, for job: DecodeJob, frames: FrameFiles? = nil) throws -> [URL] {
        try FileSystemError.accessing(directory, for: .creatingFolder) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        let folder = SafeFolder(url: directory)
        folder.removeStaleTemporaries()
        var staged: [(suffix: String, temporary: URL)] = []
        defer { for file in staged { unlink(file.temporary.path) } }
        for (suffix, bytes) in try media(result, for: job, framesAsPNG: frames != nil) {
            staged.append((suffix, try folder.writeTemporary(bytes)))
        }
        if let frames, job.preset.isVideo { try Self.complete(frames, from: result.payload, name: job.name) }
        let stem = try frames?.stem() ?? folder.reserveStem(Self.safeStem(job.name))
        defer { if frames == nil { folder.release(stem) } }
        let frameFiles = frames?.written ?? []
        // An encode's latent is its result; a decode's is its input.
        let latent = if job.kind == .encode, case .tensor(let encoded) = result.payload { encoded } else { job.latent }
        let sidecar = Sidecar(
            job: job.name, preset: job.preset.id, source: job.source.summary, seed: job.source.seed, latentShape: latent.shape,
            latentDType: latent.dtype.rawValue, backend: job.backend.label, endpoint: result.endpoint, engine: result.engine,
            outputType: job.options.outputType.rawValue, timings: result.timings,
            outputs: frameFiles.map(\.lastPathComponent) + staged.map { stem + $0.suffix })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // The sidecar goes last: when it is there, so is everything it lists.
        staged.append((".json", try folder.writeTemporary(Array(try encoder.encode(sidecar)))))
        var published: [URL] = []
        do {
            for file in staged { published.append(try folder.publish(file.temporary, as: stem + file.suffix)) }
        } catch {
            for url in published { unlink(url.path) }
            throw error
        }
        return frameFiles + published
    }

    /// Writes the frames `frames` has not written from the decoded result: all of them when the
    /// backend gave none while decoding (an endpoint), none when it gave every one.
    private static func complete(_ frames: FrameFiles, from payload: DecodedPayload, name: String) throws {
        if frames.total > 0, frames.written.count >= frames.total { return }
        if case .image = payload { return }
        let images = try ResultFrames.frames(of: payload, name: name).images
        frames.write(FrameBatch(first: 0, total: images.count, images: images, elapsed: 0))
    }

    /// The files of a result, suffix and bytes, all made before anything is written: a result
    /// that cannot be converted leaves nothing behind.
    /// With `framesAsPNG` a video's frames are `FrameFiles`' to write, not saved as images here.
    private func media(_ result: DecodeResult, for job: DecodeJob, framesAsPNG: Bool) throws -> [(String, [UInt8])] {
        if case .encode(let image) = job.work { return try encodeMedia(result, of: image, for: job) }
        let metadata = ImageMetadata(
            preset: job.preset.id, seed: job.source.seed, source: job.source.summary, engine: result.engine,
            endpoint: result.endpoint, timings: result.timings)
        func encoded(_ images: [RGBImage]) throws -> [(String, [UInt8])] {
            try images.enumerated().map { index, image in
                let suffix = images.count == 1 ? "" : String(format: "_%03d", index)
                if job.options.imageFormat == .png {
                    return (suffix + ".png", try PNGCodec.encode(image, text: metadata.textChunks))
                }
                return (suffix + ".jpg", try JPEGCodec.encode(image))
            }
        }
        switch result.payload {
        case .image(.png, let bytes):
            // Re-encoding is lossless and lets the PNG carry latentty's metadata chunks.
            let image = try PNGCodec.decode(bytes).image
            return [(".png", try PNGCodec.encode(image, text: metadata.textChunks))]
        case .image(.jpeg, let bytes):
            return [(".jpg", bytes)]
        case .video(let bytes):
            return [(".mp4", bytes)]
        case .tensor(let tensor):
            let images = framesAsPNG && job.preset.isVideo ? [] : try encoded(try TensorImages.images(from: tensor))
            guard job.options.outputType == .pt || job.options.outputType == .ptUInt8 else { return images }
            let data = SafetensorsWriter.encode(
                [NamedTensor(name: "images", tensor: tensor)],
                metadata: ["latentty.preset": job.preset.id, "latentty.source": job.source.summary])
            return [(".safetensors", Array(data))] + images
        }
    }

    /// An encode's files: the latent as `latentty encode` writes it (safetensors, diffusion space,
    /// metadata naming the preset and the image), and the image as it was encoded — the original a
    /// decode of the latent is compared with.
    private func encodeMedia(_ result: DecodeResult, of image: SourceImage, for job: DecodeJob) throws -> [(String, [UInt8])] {
        guard case .tensor(let latent) = result.payload else { throw EncodeOutputError.noLatent(job.name) }
        let data = SafetensorsWriter.encode(
            [NamedTensor(name: "latents", tensor: latent)],
            metadata: [
                "latentty.preset": job.preset.id, "latentty.space": LatentSpace.diffusion.rawValue, "latentty.source": image.path,
                "latentty.size": "\(image.image.width)x\(image.image.height)",
            ])
        return [(".safetensors", Array(data)), (".png", image.png)]
    }

    /// The job's name as a file stem: no path separators or NULs, not hidden (the folder's
    /// temporary files are), and short enough to leave room for suffixes within a name's 255 bytes.
    static func safeStem(_ name: String) -> String {
        var safe = String(name.map { $0 == "/" || $0 == "\0" ? "_" : $0 })
        if safe.isEmpty || safe.hasPrefix(".") { safe = "_" + safe }
        while safe.utf8.count > 200 { safe.removeLast() }
        return safe
    }
}

/// An encode's answer was not a latent (a backend broke its contract).
public enum EncodeOutputError: Error, Equatable, CustomStringConvertible {
    case noLatent(String)

    public var description: String {
        switch self {
        case .noLatent(let name): "the encode of \(name) gave no latent"
        }
    }
}
