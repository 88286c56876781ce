import Foundation
import LatentKit

extension TiledDecoding {
    /// diffusers' AutoencoderKL `_tiled_encode`: tiles of `tileSample` pixels (`sample_size`) every
    /// `int(tileSample·(1 − overlap))`, each through encoder and quant_conv; the raw moments are
    /// blended over `int(tileLatent·overlap)` cells and cropped to the rest of a latent tile, so the
    /// log-variance is clamped only after blending, as `DiagonalGaussianDistribution` then does.
    init(encodingTileSample tileSample: Int, overlapFactor: Double, factor: Int) {
        let tileLatent = tileSample / factor
        let blend = Int(Double(tileLatent) * overlapFactor)
        self.init(
            tileLatent: tileSample, strideLatent: Int(Double(tileSample) * (1 - overlapFactor)), blendSample: blend,
            keepSample: tileLatent - blend)
    }
}

/// diffusers' AutoencoderTiny `_tiled_encode`: tiles of 512 pixels every 448, each encoded alone and
/// laid over the latent so far through a mask that ramps from 0 to 1 over a tile's first 8 rows
/// (below the top row of tiles) and first 8 columns (right of the left column), as float32 torch
/// computes it. diffusers allocates 4 latent channels, so its own tiled encode fails for 16-channel
/// models (taef1); here the latent has the encoder's channels.
struct TinyTiledEncoding {
    static let tileSample = 512
    /// `int(512 · tile_overlap_factor 0.125)`.
    static let blendSample = 64
    let factor: Int

    func encode(_ image: FeatureMap, encodeTile: (FeatureMap) throws -> FeatureMap) throws -> FeatureMap {
        let (tile, traverse) = (Self.tileSample, Self.tileSample - Self.blendSample)
        let ramp = (0..<(tile / factor)).map { min(max(Float($0) / Float(Self.blendSample / factor - 1), 0), 1) }
        // The encoder's channel count is known from the first tile.
        var out = FeatureMap(channels: 0, height: 0, width: 0)
        for i in stride(from: 0, to: image.height, by: traverse) {
            for j in stride(from: 0, to: image.width, by: traverse) {
                let encoded = try encodeTile(TiledDecoding.crop(image, y: i, x: j, height: tile, width: tile))
                if out.channels == 0 {
                    out = FeatureMap(channels: encoded.channels, height: image.height / factor, width: image.width / factor)
                }
                let (top, left) = (i / factor, j / factor)
                let (height, width) = (min(encoded.height, out.height - top), min(encoded.width, out.width - left))
                for c in 0..<encoded.channels {
                    for y in 0..<height {
                        let rowMask: Float = i == 0 ? 1 : ramp[y]
                        let source = c * encoded.plane + y * encoded.width
                        let target = c * out.plane + (top + y) * out.width + left
                        for x in 0..<width {
                            let mask = rowMask * (j == 0 ? 1 : ramp[x])
                            out.data[target + x] = mask * encoded.data[source + x] + (1 - mask) * out.data[target + x]
                        }
                    }
                }
            }
        }
        return out
    }
}

/// When an encoder tiles, as the decoders decide: never (`off`), whenever the image is larger than a
/// tile as diffusers' `enable_tiling()` does (`on`), or only when the untiled encode's estimated
/// memory is over the budget as well (`auto`).
struct EncoderTiling {
    let mode: TilingMode
    let tileSample: Int
    /// Activation bytes an untiled encode holds per pixel at its peak.
    let bytesPerPixel: Int

    /// The first full-resolution block holds its input, its normalised copy and its convolution's
    /// output, each of `channels` planes (bf16 keeps one more, as for the decoder).
    init(mode: TilingMode, tileSample: Int, channels: Int, precision: Precision) {
        self.mode = mode
        self.tileSample = tileSample
        bytesPerPixel = precision == .f32 ? 3 * channels * 4 : 4 * channels * 2
    }

    func estimatedBytes(height: Int, width: Int) -> Int { height * width * bytesPerPixel }

    func shouldTile(height: Int, width: Int) -> Bool {
        guard height > tileSample || width > tileSample else { return false }
        switch mode {
        case .off: return false
        case .on: return true
        case .auto(let maxBytes): return estimatedBytes(height: height, width: width) > maxBytes
        }
    }

    /// An untiled encode that cannot fit in the memory free now is refused with advice, not left to
    /// the out-of-memory killer; nil when the image will be tiled or fits.
    func refusal(height: Int, width: Int, available: Int?) -> String? {
        guard !shouldTile(height: height, width: width), let available else { return nil }
        let needed = estimatedBytes(height: height, width: width)
        guard needed > available else { return nil }
        let advice = height > tileSample || width > tileSample ? "; encode with --tile on (or auto)" : ""
        return
            "untiled, this \(width)×\(height) image needs about \(ByteCount.text(needed)) and \(ByteCount.text(available)) are free\(advice)"
    }
}
