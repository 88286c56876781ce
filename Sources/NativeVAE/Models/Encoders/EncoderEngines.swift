import Foundation
import LatentKit

/// The full AutoencoderKL encoder (SD v1, SDXL, Flux) on oneDNN: diffusers' `latent_dist`, unscaled,
/// tiled as diffusers' `_tiled_encode` in tiles of the config's `sample_size`.
public final class AutoencoderKLEncoderEngine: EncodeEngine, @unchecked Sendable {
    // `encoder` caches compiled primitives; every use holds the oneDNN context's lock.
    public let name = "full"
    private let encoder: AutoencoderKLEncoder
    private let context: DNNL
    let tiling: EncoderTiling

    public init(
        location: VAELocation, tiling: TilingMode = .automatic, precision: Precision = .f32, winograd: WinogradPolicy = .automatic
    ) throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        let weights = try WeightStore.load(location.weights)
        weights.precision = precision
        weights.winograd = winograd
        guard let moments = weights.shape(of: "encoder.conv_out.weight")?.first else {
            throw NativeError.unsupportedModel(
                "these weights have no encoder (no 'encoder.conv_out.weight'); encoding needs the full VAE, not a decoder-only file")
        }
        let config: AutoencoderKLConfig
        if let url = location.config {
            config = try AutoencoderKLConfig.load(url)
        } else {
            // Single-file checkpoints carry no config: the standard SD/SDXL/Flux shape, with the
            // latent channels read off conv_out's moments (mean and log-variance).
            var standard = AutoencoderKLConfig.standard(latentChannels: moments / 2, postQuantConv: weights.has("post_quant_conv.weight"))
            standard.useQuantConv = weights.has("quant_conv.weight")
            config = standard
        }
        encoder = try withStandardConfig(assumed: location.config == nil) { try AutoencoderKLEncoder(config: config, weights: weights) }
        self.tiling = EncoderTiling(
            mode: tiling, tileSample: config.sampleSize, channels: config.blockOutChannels.first ?? 128, precision: precision)
        self.context = context
    }

    /// Around an encoder already built (the random-weights benchmark's, in RandomEncoderWeights.swift).
    init(encoder: AutoencoderKLEncoder, tiling: EncoderTiling, context: DNNL) {
        self.encoder = encoder
        self.tiling = tiling
        self.context = context
    }

    public func encode(_ images: Tensor, preset: Preset) throws(EngineError) -> EncodedLatent {
        let latent = encoder.config.latentChannels
        let factor = encoder.spatialFactor
        let parts = try runEncodeBatch(images, engine: name, factor: factor, tiling: tiling, context: context) { image in
            let moments =
                tiling.shouldTile(height: image.height, width: image.width)
                ? try TiledDecoding(encodingTileSample: tiling.tileSample, overlapFactor: 0.25, factor: factor).decode(image) {
                    try encoder.moments($0, context: context)
                } : try encoder.moments(image, context: context)
            let (mean, logVariance) = encoder.distribution(moments)
            return [mean, logVariance]
        }
        do {
            return EncodedLatent(
                mean: try Tensor(values: parts[0].values, shape: parts[0].shape(latent)),
                logVariance: try Tensor(values: parts[1].values, shape: parts[1].shape(latent)))
        } catch {
            throw .encodeFailed(engine: name, reason: String(describing: error))
        }
    }
}

/// The TAESD family's encoder (taesd, taesdxl, taef1), whose latents are diffusion-space; they are
/// handed back in VAE space (through the preset's factors) like every other encoder's. Tiled as
/// diffusers' AutoencoderTiny `_tiled_encode`.
public final class TinyEncoderEngine: EncodeEngine, @unchecked Sendable {
    // As above: the encoder's primitive caches are used only under the context's lock.
    public let name = "tiny"
    private let encoder: TinyEncoder
    private let context: DNNL
    let tiling: EncoderTiling

    public init(location: VAELocation, tiling: TilingMode = .automatic) throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        encoder = try TinyEncoder(weights: try WeightStore.load(location.weights))
        self.tiling = EncoderTiling(mode: tiling, tileSample: TinyTiledEncoding.tileSample, channels: 64, precision: .f32)
        self.context = context
    }

    /// Around an encoder already built (the random-weights benchmark's, in RandomEncoderWeights.swift).
    init(encoder: TinyEncoder, tiling: EncoderTiling, context: DNNL) {
        self.encoder = encoder
        self.tiling = tiling
        self.context = context
    }

    public func encode(_ images: Tensor, preset: Preset) throws(EngineError) -> EncodedLatent {
        let factor = encoder.spatialFactor
        let parts = try runEncodeBatch(images, engine: name, factor: factor, tiling: tiling, context: context) { image in
            guard tiling.shouldTile(height: image.height, width: image.width) else { return [try encoder.encode(image, context: context)] }
            return [try TinyTiledEncoding(factor: factor).encode(image) { try encoder.encode($0, context: context) }]
        }
        do {
            return EncodedLatent(
                mean: preset.toVAESpace(try Tensor(values: parts[0].values, shape: parts[0].shape(encoder.latentChannels))))
        } catch {
            throw .encodeFailed(engine: name, reason: String(describing: error))
        }
    }
}

/// One output of a batch encode: every item's values in order, and the size of an item's map.
struct EncodedPart {
    var values: [Float] = []
    var batch = 0
    var height = 0
    var width = 0

    func shape(_ channels: Int) -> [Int] { [batch, channels, height, width] }
}

/// Refuses, before any work, images whose untiled encode cannot fit in the memory free now.
func checkEncodeMemory(
    _ images: Tensor, engine: String, tiling: EncoderTiling, available: Int? = NativeRuntime.availableMemory()
) throws(EngineError) {
    guard images.rank == 4, let reason = tiling.refusal(height: images.shape[2], width: images.shape[3], available: available) else {
        return
    }
    throw .unsupportedImage(engine: engine, reason: reason)
}

/// Encodes images `[B, 3, H, W]` one at a time under the oneDNN lock into each of the maps
/// `encode` gives per image; sizes the model cannot halve down to its latent, and untiled encodes
/// too large for the memory free, are refused first.
func runEncodeBatch(
    _ images: Tensor, engine: String, factor: Int, tiling: EncoderTiling, context: DNNL, encode: (FeatureMap) throws -> [FeatureMap]
) throws(EngineError) -> [EncodedPart] {
    try checkEncodeMemory(images, engine: engine, tiling: tiling)
    guard images.rank == 4, images.shape[0] > 0, images.shape[1] == 3 else {
        throw .unsupportedImage(engine: engine, reason: "it takes one or more RGB images [B, 3, H, W], not \(images.shape.shapeText)")
    }
    let (batch, height, width) = (images.shape[0], images.shape[2], images.shape[3])
    guard height >= factor, width >= factor, height % factor == 0, width % factor == 0 else {
        let up = (max(factor, (height + factor - 1) / factor * factor), max(factor, (width + factor - 1) / factor * factor))
        // Cropping is advice only where it leaves an image at all.
        let crop = height >= factor && width >= factor ? "crop to \(height / factor * factor)×\(width / factor * factor) or " : ""
        throw .unsupportedImage(
            engine: engine,
            reason:
                "it is \(height)×\(width) and this model downsamples \(factor)×, so height and width must be multiples of \(factor) (\(crop)pad to \(up.0)×\(up.1))"
        )
    }
    let values = images.converted(to: .float32).floatValues()
    let plane = 3 * height * width
    var parts: [EncodedPart] = []
    do {
        try context.lock.withLock { _ in
            defer { ActivationPool.shared.drain() }
            NativeRuntime.applyToCurrentThread()
            for b in 0..<batch {
                let image = FeatureMap(channels: 3, height: height, width: width, data: Array(values[(b * plane)..<((b + 1) * plane)]))
                let maps = try encode(image)
                if parts.isEmpty { parts = Array(repeating: EncodedPart(), count: maps.count) }
                for (index, map) in maps.enumerated() {
                    parts[index].values += map.data
                    parts[index].batch += 1
                    (parts[index].height, parts[index].width) = (map.height, map.width)
                }
            }
        }
        return parts
    } catch {
        throw .encodeFailed(engine: engine, reason: String(describing: error))
    }
}
