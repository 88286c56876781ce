import Foundation
import LatentKit

/// How a job's result should come back and be saved.
public struct DecodeOptions: Sendable, Equatable {
    public var outputType: OutputType
    public var imageFormat: ImageFormat
    /// Image size in pixels, for packed Flux latents that are not square.
    public var height: Int?
    public var width: Int?
    /// Save a video's frames as PNGs too (`<name>_f0000.png`…), written as they are decoded where
    /// the backend hands them out as they come.
    public var framePNGs: Bool

    public init(
        outputType: OutputType = .pil, imageFormat: ImageFormat = .jpg, height: Int? = nil, width: Int? = nil, framePNGs: Bool = false
    ) {
        self.outputType = outputType
        self.imageFormat = imageFormat
        self.height = height
        self.width = width
        self.framePNGs = framePNGs
    }
}

/// Where a job's latent came from, recorded in the outputs' metadata.
public struct JobSource: Sendable, Equatable {
    public var path: String?
    public var key: String?
    public var seed: UInt64?
    /// The encode job that made this latent from an image: its result is the original picture a
    /// decode of the latent is compared with.
    public var encodedBy: UUID?

    public init(path: String? = nil, key: String? = nil, seed: UInt64? = nil, encodedBy: UUID? = nil) {
        self.path = path
        self.key = key
        self.seed = seed
        self.encodedBy = encodedBy
    }

    public var summary: String {
        var text = path ?? (seed.map { "generated, seed \($0)" } ?? "memory")
        if let key { text += " [\(key)]" }
        return text
    }
}

/// What a job does. Both kinds go through the same queue, backends, journal and screen.
public enum JobWork: Sendable, Equatable {
    /// Decode this latent to pictures.
    case decode(Tensor)
    /// Encode this image into a latent of the job's preset (in diffusion space, as `latentty encode` writes it).
    case encode(SourceImage)
}

/// A job's kind, as its status and the journal name it.
public enum JobKind: String, Sendable, Codable {
    case decode, encode
}

/// One job: a latent to decode (or an image to encode), the preset it belongs to, the backend that
/// will run it and how.
public struct DecodeJob: Sendable, Identifiable, Equatable {
    public let id: UUID
    /// Names the outputs (`<name>.png`).
    public var name: String
    public var source: JobSource
    public var work: JobWork
    /// Whether the values are pipeline (diffusion-space) latents or raw VAE latents.
    public var space: LatentSpace
    public var preset: Preset
    public var backend: BackendIdentity
    public var options: DecodeOptions

    public init(
        id: UUID = UUID(), name: String, source: JobSource, work: JobWork, space: LatentSpace = .diffusion,
        preset: Preset, backend: BackendIdentity, options: DecodeOptions
    ) {
        self.id = id
        self.name = name
        self.source = source
        self.work = work
        self.space = space
        self.preset = preset
        self.backend = backend
        self.options = options
    }

    public init(
        id: UUID = UUID(), name: String, source: JobSource, latent: Tensor, space: LatentSpace = .diffusion,
        preset: Preset, backend: BackendIdentity, options: DecodeOptions
    ) {
        self.init(
            id: id, name: name, source: source, work: .decode(latent), space: space, preset: preset, backend: backend, options: options)
    }

    /// An encode of `image` for `preset` on `backend`, named after the file.
    public init(encoding image: SourceImage, preset: Preset, backend: BackendIdentity) {
        self.init(
            name: image.name, source: JobSource(path: image.path), work: .encode(image), preset: preset, backend: backend,
            options: DecodeOptions())
    }

    public var kind: JobKind {
        if case .encode = work { .encode } else { .decode }
    }

    /// The latent a decode job decodes; an encode job has none yet (an empty tensor).
    public var latent: Tensor {
        if case .decode(let latent) = work { return latent }
        return Self.noLatent
    }

    static let noLatent = (try? Tensor(dtype: .float32, shape: [0], bytes: []))!
}
