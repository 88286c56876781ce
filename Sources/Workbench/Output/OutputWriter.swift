import Foundation
import ImageCodecs
import LatentKit
import Wire

/// Saves a finished decode: images (PNG with text-chunk metadata, or JPEG as sent), tensors as
/// safetensors, video as MP4, and a `<name>.json` sidecar describing the job. Every file is written
/// to a temporary name and renamed, so a crash never leaves half a file, and existing files are
/// never overwritten.
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

    public func write(_ result: DecodeResult, for job: DecodeJob) throws -> [URL] {
        try FileSystemError.accessing(directory, for: .creatingFolder) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        let stem = uniqueStem(job.name)
        let metadata = ImageMetadata(
            preset: job.preset.id, seed: job.source.seed, source: job.source.summary, engine: result.engine,
            endpoint: result.endpoint, timings: result.timings)
        var written: [URL] = []
        func save(_ bytes: [UInt8], _ suffix: String) throws {
            let url = directory.appendingPathComponent(stem + suffix)
            try FileSystemError.accessing(url, for: .writing) { try Data(bytes).write(to: url, options: .atomic) }
            written.append(url)
        }
        func saveImages(_ images: [RGBImage]) throws {
            for (index, image) in images.enumerated() {
                let suffix = images.count == 1 ? "" : String(format: "_%03d", index)
                if job.options.imageFormat == .png {
                    try save(try PNGCodec.encode(image, text: metadata.textChunks), suffix + ".png")
                } else {
                    try save(try JPEGCodec.encode(image), suffix + ".jpg")
                }
            }
        }
        switch result.payload {
        case .image(.png, let bytes):
            // Re-encoding is lossless and lets the PNG carry latentty's metadata chunks.
            let image = try PNGCodec.decode(bytes).image
            try save(try PNGCodec.encode(image, text: metadata.textChunks), ".png")
        case .image(.jpeg, let bytes):
            try save(bytes, ".jpg")
        case .video(let bytes):
            try save(bytes, ".mp4")
        case .tensor(let tensor):
            if job.options.outputType == .pt || job.options.outputType == .ptUInt8 {
                let data = SafetensorsWriter.encode(
                    [NamedTensor(name: "images", tensor: tensor)],
                    metadata: ["latentty.preset": job.preset.id, "latentty.source": job.source.summary])
                try save(Array(data), ".safetensors")
            }
            try saveImages(try TensorImages.images(from: tensor))
        }
        let sidecar = Sidecar(
            job: job.name, preset: job.preset.id, source: job.source.summary, seed: job.source.seed, latentShape: job.latent.shape,
            latentDType: job.latent.dtype.rawValue, backend: job.backend.label, endpoint: result.endpoint, engine: result.engine,
            outputType: job.options.outputType.rawValue, timings: result.timings, outputs: written.map(\.lastPathComponent))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try save(Array(try encoder.encode(sidecar)), ".json")
        return written
    }

    /// `name`, or `name-2`, `name-3`… when files of that name exist already.
    func uniqueStem(_ name: String) -> String {
        let safe = name.map { $0 == "/" || $0 == "\0" ? "_" : $0 }.reduce(into: "") { $0.append($1) }
        let existing = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        func taken(_ stem: String) -> Bool { existing.contains { $0.hasPrefix(stem + ".") || $0.hasPrefix(stem + "_") } }
        if !taken(safe) { return safe }
        var index = 2
        while taken("\(safe)-\(index)") { index += 1 }
        return "\(safe)-\(index)"
    }
}
