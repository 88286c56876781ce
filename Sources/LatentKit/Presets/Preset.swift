/// Which space a latent's values are in. Pipelines with `output_type="latent"` return diffusion-space
/// latents (multiplied by the scaling factor, shifted for Flux); the VAE decodes VAE-space latents.
public enum LatentSpace: String, Sendable, Codable, CaseIterable {
    /// `(z − shift) · scaling`: what pipelines return and what ComfyUI keeps.
    case diffusion
    /// Raw VAE latents, what `vae.decode` takes.
    case vae
}

/// What a decode returns over the wire (DESIGN.md §2).
public enum OutputType: String, Sendable, Codable, CaseIterable {
    case pil
    case pt
    case ptUInt8 = "pt-uint8"
    case mp4
}

public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case jpg
    case png
}

/// A model family's latent conventions and where to decode it.
public struct Preset: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var latentChannels: Int
    /// Pixels per latent cell along height and width.
    public var spatialFactor: Int
    /// Frames per latent frame for video models (frames = factor·(F−1)+1), nil for images.
    public var temporalFactor: Int?
    public var scalingFactor: Double
    public var shiftFactor: Double?
    /// Latents may arrive packed into 2×2 patches (Flux).
    public var packed: Bool
    public var modelID: String?
    /// The image side the model was trained at; ranks presets when a shape fits several.
    public var nativeResolution: Int?
    public var endpoints: [String]
    /// Where `remote_encode` calls go (diffusers' `REMOTE_ENCODE_ENDPOINT_*`); empty where none is hosted.
    public var encodeEndpoints: [String]
    public var outputType: OutputType
    public var imageFormat: ImageFormat
    /// Remote jobs in flight at once for this preset's endpoints.
    public var concurrency: Int
    public var isBuiltin: Bool

    public init(
        id: String, name: String, latentChannels: Int, spatialFactor: Int = 8,
        temporalFactor: Int? = nil,
        scalingFactor: Double, shiftFactor: Double? = nil, packed: Bool = false, modelID: String? = nil,
        nativeResolution: Int? = nil, endpoints: [String] = [], outputType: OutputType = .pil,
        imageFormat: ImageFormat = .jpg, concurrency: Int = 2, isBuiltin: Bool = false, encodeEndpoints: [String] = []
    ) {
        self.id = id
        self.name = name
        self.latentChannels = latentChannels
        self.spatialFactor = spatialFactor
        self.temporalFactor = temporalFactor
        self.scalingFactor = scalingFactor
        self.shiftFactor = shiftFactor
        self.packed = packed
        self.modelID = modelID
        self.nativeResolution = nativeResolution
        self.endpoints = endpoints
        self.encodeEndpoints = encodeEndpoints
        self.outputType = outputType
        self.imageFormat = imageFormat
        self.concurrency = concurrency
        self.isBuiltin = isBuiltin
    }

    public var isVideo: Bool { temporalFactor != nil }

    /// Diffusion space → VAE space: `z / scaling + shift`, what the server does before decoding.
    public func toVAESpace(_ latent: Tensor) -> Tensor {
        let scale = Float(scalingFactor)
        let shift = Float(shiftFactor ?? 0)
        return latent.mapValues { $0 / scale + shift }
    }

    /// VAE space → diffusion space: `(z − shift) · scaling`, what an encoder hands a pipeline.
    public func toDiffusionSpace(_ latent: Tensor) -> Tensor {
        let scale = Float(scalingFactor)
        let shift = Float(shiftFactor ?? 0)
        return latent.mapValues { ($0 - shift) * scale }
    }
}

extension Preset {
    public static let sd15 = Preset(
        id: "sd15", name: "SD v1.5", latentChannels: 4, scalingFactor: 0.18215,
        modelID: "stabilityai/sd-vae-ft-mse", nativeResolution: 512,
        endpoints: ["https://q1bj3bpq6kzilnsu.us-east-1.aws.endpoints.huggingface.cloud"],
        isBuiltin: true, encodeEndpoints: ["https://qc6479g0aac6qwy9.us-east-1.aws.endpoints.huggingface.cloud/"])

    public static let sdxl = Preset(
        id: "sdxl", name: "SDXL", latentChannels: 4, scalingFactor: 0.13025,
        modelID: "madebyollin/sdxl-vae-fp16-fix", nativeResolution: 1024,
        endpoints: ["https://x2dmsqunjd6k9prw.us-east-1.aws.endpoints.huggingface.cloud"],
        isBuiltin: true, encodeEndpoints: ["https://xjqqhmyn62rog84g.us-east-1.aws.endpoints.huggingface.cloud/"])

    public static let flux = Preset(
        id: "flux", name: "Flux", latentChannels: 16, scalingFactor: 0.3611, shiftFactor: 0.1159,
        packed: true,
        modelID: "black-forest-labs/FLUX.1-schnell", nativeResolution: 1024,
        endpoints: ["https://whhx50ex1aryqvw6.us-east-1.aws.endpoints.huggingface.cloud"],
        isBuiltin: true, encodeEndpoints: ["https://ptccx55jz97f9zgo.us-east-1.aws.endpoints.huggingface.cloud/"])

    public static let hunyuanVideo = Preset(
        id: "hunyuanvideo", name: "HunyuanVideo", latentChannels: 16, temporalFactor: 4,
        scalingFactor: 0.476986,
        modelID: "hunyuanvideo-community/HunyuanVideo", nativeResolution: 720,
        endpoints: ["https://o7ywnmrahorts457.us-east-1.aws.endpoints.huggingface.cloud"],
        outputType: .mp4, isBuiltin: true)

    public static let builtins: [Preset] = [.sd15, .sdxl, .flux, .hunyuanVideo]
}

extension Preset {
    /// Journals written before presets had encode endpoints lack the key; those presets decode with none.
    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try values.decode(String.self, forKey: .id), name: try values.decode(String.self, forKey: .name),
            latentChannels: try values.decode(Int.self, forKey: .latentChannels),
            spatialFactor: try values.decode(Int.self, forKey: .spatialFactor),
            temporalFactor: try values.decodeIfPresent(Int.self, forKey: .temporalFactor),
            scalingFactor: try values.decode(Double.self, forKey: .scalingFactor),
            shiftFactor: try values.decodeIfPresent(Double.self, forKey: .shiftFactor),
            packed: try values.decode(Bool.self, forKey: .packed), modelID: try values.decodeIfPresent(String.self, forKey: .modelID),
            nativeResolution: try values.decodeIfPresent(Int.self, forKey: .nativeResolution),
            endpoints: try values.decode([String].self, forKey: .endpoints),
            outputType: try values.decode(OutputType.self, forKey: .outputType),
            imageFormat: try values.decode(ImageFormat.self, forKey: .imageFormat),
            concurrency: try values.decode(Int.self, forKey: .concurrency), isBuiltin: try values.decode(Bool.self, forKey: .isBuiltin),
            encodeEndpoints: try values.decodeIfPresent([String].self, forKey: .encodeEndpoints) ?? [])
    }
}
