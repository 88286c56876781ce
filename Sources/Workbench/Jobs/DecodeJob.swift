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

    public init(path: String? = nil, key: String? = nil, seed: UInt64? = nil) {
        self.path = path
        self.key = key
        self.seed = seed
    }

    public var summary: String {
        var text = path ?? (seed.map { "generated, seed \($0)" } ?? "memory")
        if let key { text += " [\(key)]" }
        return text
    }
}

/// One decode: a latent, the preset it belongs to, the backend that will decode it and how.
public struct DecodeJob: Sendable, Identifiable, Equatable {
    public let id: UUID
    /// Names the outputs (`<name>.png`).
    public var name: String
    public var source: JobSource
    public var latent: Tensor
    /// Whether the values are pipeline (diffusion-space) latents or raw VAE latents.
    public var space: LatentSpace
    public var preset: Preset
    public var backend: BackendIdentity
    public var options: DecodeOptions

    public init(
        id: UUID = UUID(), name: String, source: JobSource, latent: Tensor, space: LatentSpace = .diffusion,
        preset: Preset, backend: BackendIdentity, options: DecodeOptions
    ) {
        self.id = id
        self.name = name
        self.source = source
        self.latent = latent
        self.space = space
        self.preset = preset
        self.backend = backend
        self.options = options
    }
}
