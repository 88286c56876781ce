import Foundation
import LatentKit

/// The HunyuanVideo VAE decoder (diffusers `AutoencoderKLHunyuanVideo`) on oneDNN and latentty's
/// Winograd layer, f32 or bf16, with diffusers' framewise and spatial tiling. Takes VAE-space
/// latents `[B, 16, T, h, w]` and returns `[B, 3, 4·(T−1)+1, 8h, 8w]` in [-1, 1].
public final class HunyuanVideoEngine: DecodeEngine, @unchecked Sendable {
    // `decoder` caches compiled primitives and packed weights; every use holds the oneDNN context's lock.
    public let name = "full"
    private let decoder: HunyuanVideoDecoder
    private let context: DNNL
    public let tiling: TilingMode
    private let precision: Precision
    /// diffusers' tile sizes and `use_framewise_decoding`; `use_tiling` follows `tiling` per clip.
    let layout: VideoTiling

    /// A full-size decoder with made-up weights (benchmarks: same FLOPs and memory as the real one).
    public convenience init(
        randomWeights config: HunyuanVideoConfig = .standard, tiling: TilingMode = .automatic, precision: Precision = .f32,
        framewise: Bool = true
    ) throws {
        let weights = WeightStore.random(seed: 0)
        weights.precision = precision
        try self.init(config: config, weights: weights, tiling: tiling, precision: precision, layout: VideoTiling(framewise: framewise))
    }

    public convenience init(location: VAELocation, tiling: TilingMode = .automatic, precision: Precision = .f32, framewise: Bool = true)
        throws
    {
        try self.init(location: location, tiling: tiling, precision: precision, layout: VideoTiling(framewise: framewise))
    }

    convenience init(location: VAELocation, tiling: TilingMode, precision: Precision, layout: VideoTiling) throws {
        let weights = try HunyuanVideoWeights.load(location.weights)
        weights.precision = precision
        let config: HunyuanVideoConfig
        if let url = location.config {
            config = try HunyuanVideoConfig.load(url)
        } else {
            // Single-file checkpoints carry no config: the released model's shape.
            config = .standard
        }
        try self.init(config: config, weights: weights, tiling: tiling, precision: precision, layout: layout)
    }

    init(config: HunyuanVideoConfig, weights: WeightStore, tiling: TilingMode, precision: Precision, layout: VideoTiling) throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        self.context = context
        self.tiling = tiling
        self.precision = precision
        self.layout = layout
        decoder = try HunyuanVideoDecoder(config: config, weights: weights)
    }

    public func decode(_ latent: Tensor, preset: Preset) throws(EngineError) -> Tensor {
        try decode(latent, preset: preset, frames: { _ in })
    }

    public func decode(_ latent: Tensor, preset: Preset, frames: FrameSink) throws(EngineError) -> Tensor {
        guard latent.rank == 5 else { throw .unsupportedLayout(engine: name, shape: latent.shape) }
        let channels = decoder.config.latentChannels
        guard latent.shape[1] == channels else { throw .unsupportedChannels(engine: name, channels: latent.shape[1]) }
        let (batch, count, height, width) = (latent.shape[0], latent.shape[2], latent.shape[3], latent.shape[4])
        let values = latent.floatValues()
        let size = channels * count * height * width
        var output: [Float] = []
        var clipShape: [Int] = []
        do {
            try context.lock.withLock { _ in
                defer { ActivationPool.shared.drain() }
                NativeRuntime.applyToCurrentThread()
                for item in 0..<batch {
                    let clip = VideoClip(
                        channels: channels, frames: count, height: height, width: width,
                        data: Array(values[(item * size)..<((item + 1) * size)]))
                    let total = (count - 1) * VideoTiling.temporalFactor + 1
                    let decoded = try decode(clip) { piece, first in
                        let pixels = try Tensor(values: piece.data, shape: [3, piece.frames, piece.height, piece.width])
                        frames(DecodedFrames(item: item, first: first, total: total, pixels: pixels))
                    }
                    clipShape = [3, decoded.frames, decoded.height, decoded.width]
                    output += decoded.data
                }
            }
            return try Tensor(values: output, shape: [batch] + clipShape)
        } catch {
            throw .failed(engine: name, reason: String(describing: error))
        }
    }

    /// One clip, with spatial tiling as `tiling` decides for its longest piece.
    func decode(_ clip: VideoClip, emit: (VideoClip, Int) throws -> Void) throws -> VideoClip {
        var layout = layout
        let piece = layout.longestPiece(frames: clip.frames)
        layout.spatial = shouldTile(frames: piece, height: clip.height, width: clip.width)
        if !layout.spatial { try checkMemory(frames: piece, height: clip.height, width: clip.width) }
        if layout.spatial, case .auto(let maxBytes) = tiling {
            layout = layout.shrunk(toFit: activationBudget(maxBytes)) { estimatedBytes(frames: piece, height: $0, width: $0) }
        }
        return try layout.decode(clip, emit: emit) { piece in try decoder.decode(piece, context: context) }
    }

    /// Spatial tiling as `tiling` asks: always, never, or when the untiled decode's estimate
    /// exceeds the budget (diffusers tiles only latents larger than a tile in any case).
    func shouldTile(frames: Int, height: Int, width: Int) -> Bool {
        switch tiling {
        case .off: return false
        case .on: return true
        case .auto(let maxBytes): return estimatedBytes(frames: frames, height: height, width: width) > activationBudget(maxBytes)
        }
    }

    /// What `--max-memory` leaves for activations once the resident f32 weights are counted.
    func activationBudget(_ maxBytes: Int) -> Int { maxBytes - weightBytes }

    var weightBytes: Int { 4 * decoder.config.decoderParameters }

    func estimatedBytes(frames: Int, height: Int, width: Int) -> Int {
        HunyuanVideoDecoder.estimatedBytes(frames: frames, height: height, width: width, config: decoder.config, precision: precision)
    }

    /// An untiled decode that cannot fit in the memory the system has free is refused with advice,
    /// not left to the out-of-memory killer.
    func checkMemory(frames: Int, height: Int, width: Int, available: Int? = NativeRuntime.availableMemory()) throws {
        let needed = estimatedBytes(frames: frames, height: height, width: width)
        guard let available, needed > available else { return }
        throw NativeError.unsupportedLatent(
            "an untiled decode of \(frames) latent frames of \(height)×\(width) needs about \(ByteCount.text(needed)) and \(ByteCount.text(available)) are free; decode with --tile on (or auto)"
        )
    }
}
