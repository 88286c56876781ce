import Foundation
import LatentKit

/// Where a VAE's weights and config are, from a file or a folder (diffusers layout, with or without
/// `vae/`; or a TAEHV checkpoint at the folder's root).
public struct VAELocation: Sendable, Equatable {
    public let weights: URL
    public let config: URL?

    public static func resolve(_ path: String) throws -> VAELocation {
        let url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw NativeError.unreadableWeights("\(url.path) does not exist")
        }
        if !isDirectory.boolValue {
            let config = url.deletingLastPathComponent().appendingPathComponent("config.json")
            return VAELocation(weights: url, config: FileManager.default.fileExists(atPath: config.path) ? config : nil)
        }
        for folder in [url, url.appendingPathComponent("vae")] {
            for name in ["diffusion_pytorch_model.safetensors", "model.safetensors"] {
                let weights = folder.appendingPathComponent(name)
                guard FileManager.default.fileExists(atPath: weights.path) else { continue }
                let config = folder.appendingPathComponent("config.json")
                return VAELocation(weights: weights, config: FileManager.default.fileExists(atPath: config.path) ? config : nil)
            }
        }
        // madebyollin/taehv's layout: the checkpoint at the root, by its own name.
        for name in TAEHVEngine.fileNames {
            let weights = url.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: weights.path) { return VAELocation(weights: weights, config: nil) }
        }
        throw NativeError.unreadableWeights(
            "\(url.path) holds no diffusion_pytorch_model.safetensors (nor vae/…, nor \(TAEHVEngine.fileNames.joined(separator: ", ")))")
    }
}

/// When the full decoder splits a latent into tiles, and an encoder an image.
public enum TilingMode: Sendable, Hashable, Codable {
    case off
    case on
    /// Tile when the untiled decode (or encode) would need more than this many bytes.
    case auto(maxBytes: Int)

    public static let automatic = TilingMode.auto(maxBytes: 2 << 30)
}

/// The full AutoencoderKL decoder (SD v1, SDXL, Flux) on oneDNN, f32 or bf16.
public final class AutoencoderKLEngine: DecodeEngine, @unchecked Sendable {
    // `decoder` caches compiled primitives; every use holds the oneDNN context's lock.
    public let name = "full"
    private let decoder: AutoencoderKLDecoder
    private let context: DNNL
    public let tiling: TilingMode
    private let precision: Precision

    /// A full-size decoder with made-up weights (benchmarks: same FLOPs and memory as the real one).
    public init(
        randomWeights config: AutoencoderKLConfig, tiling: TilingMode = .automatic, precision: Precision = .f32,
        winograd: WinogradPolicy = .automatic
    ) throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        self.tiling = tiling
        self.precision = precision
        self.context = context
        let weights = WeightStore.random(seed: 0)
        weights.precision = precision
        weights.winograd = winograd
        decoder = try AutoencoderKLDecoder(config: config, weights: weights)
    }

    public init(
        location: VAELocation, tiling: TilingMode = .automatic, precision: Precision = .f32,
        winograd: WinogradPolicy = .automatic
    ) throws {
        self.tiling = tiling
        self.precision = precision
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        let weights = try WeightStore.load(location.weights)
        weights.precision = precision
        weights.winograd = winograd
        let config: AutoencoderKLConfig
        if let url = location.config {
            config = try AutoencoderKLConfig.load(url)
        } else {
            // Single-file checkpoints carry no config: the standard SD/SDXL/Flux shape, with the
            // latent channels read off conv_in.
            guard let latent = weights.shape(of: "decoder.conv_in.weight")?[1] else {
                throw NativeError.missingTensor("decoder.conv_in.weight")
            }
            config = .standard(latentChannels: latent, postQuantConv: weights.has("post_quant_conv.weight"))
        }
        decoder = try withStandardConfig(assumed: location.config == nil) { try AutoencoderKLDecoder(config: config, weights: weights) }
        self.context = context
    }

    public func decode(_ latent: Tensor, preset: Preset) throws(EngineError) -> Tensor {
        let factor = decoder.spatialFactor
        let tileLatent = max(1, decoder.config.sampleSize / factor)
        return try runBatch(latent, engine: name, channels: decoder.config.latentChannels, factor: factor, context: context) { item in
            guard shouldTile(item, tileLatent: tileLatent) else {
                try checkMemory(item)
                return try decoder.decode(item, context: context)
            }
            return try TiledDecoding(tileLatent: tileLatent, overlapFactor: 0.25, factor: factor).decode(item) { tile in
                try decoder.decode(tile, context: context)
            }
        }
    }

    /// An untiled decode that cannot fit in the memory the system has free is refused with advice,
    /// not left to the out-of-memory killer.
    func checkMemory(_ latent: FeatureMap, available: Int? = NativeRuntime.availableMemory()) throws {
        let needed = Self.estimatedBytes(latent, config: decoder.config, factor: decoder.spatialFactor, precision: precision)
        guard let available, needed > available else { return }
        throw NativeError.unsupportedLatent(
            "an untiled decode of this \(latent.height)×\(latent.width) latent needs about \(ByteCount.text(needed)) and \(ByteCount.text(available)) are free; decode with --tile on (or auto)"
        )
    }

    /// diffusers tiles only latents larger than a tile; `auto` also needs the estimate to exceed the budget.
    func shouldTile(_ latent: FeatureMap, tileLatent: Int) -> Bool {
        guard latent.height > tileLatent || latent.width > tileLatent else { return false }
        switch tiling {
        case .off: return false
        case .on: return true
        case .auto(let maxBytes):
            return Self.estimatedBytes(latent, config: decoder.config, factor: decoder.spatialFactor, precision: precision) > maxBytes
        }
    }

    /// Activation memory at the peak of an untiled decode: the first full-resolution residual block
    /// holds its input (twice the channels of the first block), the projected residual and — unless
    /// its first convolution overwrites its input, as the f32 Winograd layers do — one more.
    /// (The attention's score matrix is made in bands of at most 64 MB.)
    static func estimatedBytes(_ latent: FeatureMap, config: AutoencoderKLConfig, factor: Int, precision: Precision) -> Int {
        let fullResolution = latent.height * latent.width * factor * factor * (config.blockOutChannels.first ?? 128)
        return precision == .f32 ? 3 * fullResolution * 4 : 4 * fullResolution * 2
    }
}

/// The TAESD family (taesd, taesdxl, taef1): tiny decoders that take diffusion-space latents.
public final class TinyVAEEngine: DecodeEngine, @unchecked Sendable {
    // As above: the decoder's primitive caches are used only under the context's lock.
    public let name = "tiny"
    private let decoder: TinyDecoder
    private let context: DNNL

    /// A TAESD-shaped decoder with made-up weights (benchmarks: same FLOPs and memory as the real one).
    public init(randomWeights latentChannels: Int, precision: Precision = .f32, winograd: WinogradPolicy = .automatic) throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        let weights = WeightStore.random(seed: 0)
        weights.precision = precision
        weights.winograd = winograd
        decoder = try TinyDecoder(latentChannels: latentChannels, weights: weights)
        self.context = context
    }

    public convenience init(location: VAELocation) throws {
        try self.init(weights: try WeightStore.load(location.weights))
    }

    /// Around weights already read (`EngineName.makeEngine` reads them once to tell TAESD from TAEHV).
    init(weights: WeightStore) throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        guard let latent = weights.shape(of: "decoder.layers.0.weight")?[1] else {
            throw NativeError.missingTensor("decoder.layers.0.weight")
        }
        decoder = try TinyDecoder(latentChannels: latent, weights: weights)
        self.context = context
    }

    public func decode(_ latent: Tensor, preset: Preset) throws(EngineError) -> Tensor {
        let scaled = preset.toDiffusionSpace(latent.converted(to: .float32))
        return try runBatch(scaled, engine: name, channels: decoder.latentChannels, factor: 8, context: context) { item in
            try decoder.decode(item, context: context)
        }
    }
}

/// Builds a model; when its config was assumed (a single file without config.json), a weight of
/// another shape means the model is not the standard SD/SDXL/Flux VAE, and the advice says so.
func withStandardConfig<Model>(assumed: Bool, _ make: () throws -> Model) throws -> Model {
    do {
        return try make()
    } catch NativeError.wrongShape(let name, let expected, let actual) where assumed {
        throw NativeError.badConfig(
            "weight '\(name)' is \(actual.shapeText), not the \(expected.shapeText) of the standard SD/SDXL/Flux VAE; put the model's config.json beside the weights"
        )
    }
}

/// Decodes `[B, C, H, W]` one item at a time under the oneDNN lock; errors become `EngineError`.
func runBatch(
    _ latent: Tensor, engine: String, channels: Int, factor: Int, context: DNNL, decode: (FeatureMap) throws -> FeatureMap
) throws(EngineError) -> Tensor {
    guard latent.rank == 4 else { throw .unsupportedLayout(engine: engine, shape: latent.shape) }
    guard latent.shape[1] == channels else { throw .unsupportedChannels(engine: engine, channels: latent.shape[1]) }
    let (batch, height, width) = (latent.shape[0], latent.shape[2], latent.shape[3])
    let values = latent.floatValues()
    let plane = channels * height * width
    var output: [Float] = []
    output.reserveCapacity(batch * 3 * height * width * factor * factor)
    do {
        try context.lock.withLock { _ in
            defer { ActivationPool.shared.drain() }
            NativeRuntime.applyToCurrentThread()
            for b in 0..<batch {
                let item = FeatureMap(
                    channels: channels, height: height, width: width, data: Array(values[(b * plane)..<((b + 1) * plane)]))
                output += try decode(item).data
            }
        }
        return try Tensor(values: output, shape: [batch, 3, height * factor, width * factor])
    } catch {
        throw .failed(engine: engine, reason: String(describing: error))
    }
}
