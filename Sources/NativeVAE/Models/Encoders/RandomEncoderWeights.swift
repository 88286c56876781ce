import Foundation

extension AutoencoderKLEncoderEngine {
    /// A full-size encoder with made-up weights from the store the random decoders use (benchmarks:
    /// the real one's FLOPs and memory, no checkpoint needed), tiled as one with real weights would be.
    public convenience init(
        randomWeights config: AutoencoderKLConfig, tiling: TilingMode = .off, precision: Precision = .f32,
        winograd: WinogradPolicy = .automatic
    ) throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        let weights = WeightStore.random(seed: 0, precision: precision, winograd: winograd)
        self.init(
            encoder: try AutoencoderKLEncoder(config: config, weights: weights),
            tiling: EncoderTiling(
                mode: tiling, tileSample: config.sampleSize, channels: config.blockOutChannels.first ?? 128, precision: precision),
            context: context)
    }
}

extension TinyEncoderEngine {
    /// A TAESD-shaped encoder with made-up weights (benchmarks, as above); a random store has no last
    /// layer to read the latent channels off, so they are given.
    public convenience init(
        randomWeights latentChannels: Int, tiling: TilingMode = .off, precision: Precision = .f32, winograd: WinogradPolicy = .automatic
    ) throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        let weights = WeightStore.random(seed: 0, precision: precision, winograd: winograd)
        self.init(
            encoder: try TinyEncoder(weights: weights, latentChannels: latentChannels),
            tiling: EncoderTiling(mode: tiling, tileSample: TinyTiledEncoding.tileSample, channels: 64, precision: precision),
            context: context)
    }
}

extension WeightStore {
    /// `random(seed:)` with the precision and Winograd policy its layers are built with.
    static func random(seed: UInt64, precision: Precision, winograd: WinogradPolicy) -> WeightStore {
        let store = random(seed: seed)
        store.precision = precision
        store.winograd = winograd
        return store
    }
}
