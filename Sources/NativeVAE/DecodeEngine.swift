import LatentKit

/// A decoder that runs on this machine. Engines take unpacked VAE-space latents (`[B,C,H,W]` or
/// `[B,C,F,H,W]`) and return float32 pixels in [-1, 1]: `[B,3,H·s,W·s]` or `[B,3,F',H·s,W·s]`.
public protocol DecodeEngine: Sendable {
    /// The name users pick it by (`approx`, `tiny`, `full`).
    var name: String { get }
    func decode(_ latent: Tensor, preset: Preset) throws(EngineError) -> Tensor
    /// The same decode, handing each video frame to `frames` as soon as it is final, in order, so
    /// a preview can show the first frame while the rest decode. Engines that make a clip all at
    /// once keep the default, which hands over each item's frames together at the end.
    func decode(_ latent: Tensor, preset: Preset, frames: FrameSink) throws(EngineError) -> Tensor
}

/// Frames of a video decode that are final: `pixels` is `[3, k, H, W]` float32 in [-1, 1], frames
/// `first..<first+k` of batch item `item`, whose clip will have `total` frames.
public struct DecodedFrames: Sendable {
    public let item: Int
    public let first: Int
    public let total: Int
    public let pixels: Tensor

    public init(item: Int, first: Int, total: Int, pixels: Tensor) {
        self.item = item
        self.first = first
        self.total = total
        self.pixels = pixels
    }

    public var count: Int { pixels.shape.count == 4 ? pixels.shape[1] : 0 }
}

/// Called on the decoding thread; it should hand the frames on and return quickly.
public typealias FrameSink = @Sendable (DecodedFrames) -> Void

extension DecodeEngine {
    public func decode(_ latent: Tensor, preset: Preset, frames: FrameSink) throws(EngineError) -> Tensor {
        let pixels = try decode(latent, preset: preset)
        guard pixels.rank == 5 else { return pixels }
        let (batch, clip) = (pixels.shape[0], Array(pixels.shape[1...]))
        let values = pixels.floatValues()
        let size = clip.reduce(1, *)
        for item in 0..<batch {
            guard let tensor = try? Tensor(values: Array(values[(item * size)..<((item + 1) * size)]), shape: clip) else { continue }
            frames(DecodedFrames(item: item, first: 0, total: clip[1], pixels: tensor))
        }
        return pixels
    }
}

public enum EngineError: Error, Equatable, CustomStringConvertible {
    case unsupportedLayout(engine: String, shape: [Int])
    case unsupportedChannels(engine: String, channels: Int)
    case outputTooLarge(engine: String, bytes: Int, limit: Int)
    case failed(engine: String, reason: String)
    /// An image an encoder cannot take (not RGB, or sides its downsampling does not divide).
    case unsupportedImage(engine: String, reason: String)
    case encodeFailed(engine: String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedLayout(let engine, let shape):
            "the \(engine) engine decodes 4-D image or 5-D video latents, not \(shape.shapeText)"
        case .unsupportedChannels(let engine, let channels):
            "the \(engine) engine has no factors for \(channels)-channel latents"
        case .outputTooLarge(let engine, let bytes, let limit):
            "the \(engine) decode would need \(bytes >> 20) MiB for its output, over the \(limit >> 20) MiB limit; decode fewer frames or a smaller latent"
        case .failed(let engine, let reason):
            "the \(engine) decoder failed: \(reason)"
        case .unsupportedImage(let engine, let reason):
            "the \(engine) encoder cannot take this image: \(reason)"
        case .encodeFailed(let engine, let reason):
            "the \(engine) encoder failed: \(reason)"
        }
    }
}

/// Arithmetic for the native decoders' convolutions.
public enum Precision: String, Sendable, CaseIterable, Codable {
    case f32
    /// bfloat16 inputs and weights, f32 accumulation (AVX512-BF16 / AMX kernels where the CPU has them).
    case bf16
}

/// Names of the engines latentty knows, for option parsing and messages.
public enum EngineName: String, Sendable, CaseIterable, Codable {
    /// latent2rgb: no weights, instant, a preview.
    case approx
    /// The full decoder on oneDNN: AutoencoderKL for images, the HunyuanVideo VAE for video.
    case full
    /// The tiny decoders on oneDNN: TAESD for images, TAEHV for video.
    case tiny

    /// The engine, with weights from `vae` (a file or folder) or else the Hugging Face cache.
    /// `framewise` is HunyuanVideo's temporal tiling (diffusers' `use_framewise_decoding`, on by default).
    public func makeEngine(
        vae: String? = nil, preset: Preset? = nil, tiling: TilingMode = .automatic, precision: Precision = .f32, framewise: Bool = true
    ) throws
        -> any DecodeEngine
    {
        switch self {
        case .approx:
            return Latent2RGBEngine()
        case .full:
            let location = try locate(vae: vae, modelID: preset?.modelID, what: "the full VAE")
            let video = HunyuanVideoWeights.describe(location)
            try Self.checkMatch(preset, video: video, weights: video ? "a HunyuanVideo (video) VAE" : "an image VAE")
            if video { return try HunyuanVideoEngine(location: location, tiling: tiling, precision: precision, framewise: framewise) }
            return try AutoencoderKLEngine(location: location, tiling: tiling, precision: precision)
        case .tiny:
            let location = try locate(
                vae: vae, modelID: preset.flatMap(ModelDiscovery.tinyModelID),
                what: preset?.isVideo == true ? "a tiny (TAEHV) decoder" : "a tiny (TAESD) decoder")
            // Read once: a .pth is unpickled whole, so telling the kinds apart must not read it again.
            let weights = try WeightStore.load(location.weights)
            let video = TAEHVEngine.recognizes(weights)
            try Self.checkMatch(preset, video: video, weights: video ? "a TAEHV (video) tiny decoder" : "a TAESD (image) tiny decoder")
            return video
                ? try TAEHVEngine(weights: weights, fileName: location.weights.lastPathComponent) : try TinyVAEEngine(weights: weights)
        }
    }

    /// The encoder of the same weights as `makeEngine` finds: AutoencoderKL's for `full`, TAESD's
    /// for `tiny`. latent2rgb has no inverse, and there is no video encoder.
    public func makeEncodeEngine(
        vae: String? = nil, preset: Preset? = nil, tiling: TilingMode = .automatic, precision: Precision = .f32
    ) throws -> any EncodeEngine {
        if let preset, preset.isVideo {
            throw NativeError.unsupportedModel(
                "latentty has no \(preset.name) encoder; encode images for an image preset (sd15, sdxl, flux)")
        }
        switch self {
        case .approx:
            throw NativeError.unsupportedModel("the approx engine (latent2rgb) only decodes; encode with --engine full or --engine tiny")
        case .full:
            return try AutoencoderKLEncoderEngine(
                location: try locate(vae: vae, modelID: preset?.modelID, what: "the full VAE"), tiling: tiling, precision: precision)
        case .tiny:
            return try TinyEncoderEngine(
                location: try locate(vae: vae, modelID: preset.flatMap(ModelDiscovery.tinyModelID), what: "a tiny (TAESD) encoder"),
                tiling: tiling)
        }
    }

    /// Video weights decode only with a video preset, image weights only with an image one.
    private static func checkMatch(_ preset: Preset?, video: Bool, weights: String) throws {
        guard let preset, preset.isVideo != video else { return }
        throw NativeError.modelMismatch(weights: weights, preset: "\(preset.id) is \(preset.isVideo ? "a video" : "an image") model")
    }

    private func locate(vae: String?, modelID: String?, what: String) throws -> VAELocation {
        if let vae { return try VAELocation.resolve(vae) }
        if let modelID, let found = ModelDiscovery.find(modelID, in: ModelDiscovery.cacheDirectories()) { return found }
        let hint = modelID.map { " (looked for \($0) in the Hugging Face cache)" } ?? ""
        throw NativeError.unreadableWeights("no weights for \(what)\(hint); pass --vae PATH to a .safetensors file or a model folder")
    }
}
