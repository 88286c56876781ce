import ArgumentParser
import Foundation
import LatentKit
import NativeVAE

extension LocalBench {
    /// The full SD v1 encoder or TAESD's, random weights, on one seeded image in [-1, 1] (noise
    /// clamped to the pixel range: an encoder's arithmetic does not depend on the picture).
    func runEncoder(height: Int, width: Int) throws {
        guard !compare else { throw ValidationError("--compare is for the image decoders") }
        runtime.apply(precision: precision)
        let loadStart = Date()
        let engine = try reportingErrors { try makeEncoder() }
        let load = Date().timeIntervalSince(loadStart)
        var generator = TorchGenerator(seed: 13)
        let shape = [1, 3, height, width]
        let image = try Tensor(values: try generator.randn(shape: shape).floatValues().map { min(max($0, -1), 1) }, shape: shape)
        let warmStart = Date()
        let encoded = try reportingErrors { try engine.encode(image, preset: .sd15) }
        let first = Date().timeIntervalSince(warmStart)
        var times: [Double] = []
        for _ in 0..<max(0, repeats) {
            let start = Date()
            _ = try reportingErrors { try engine.encode(image, preset: .sd15) }
            times.append(Date().timeIntervalSince(start))
        }
        let best = times.min() ?? first
        let peak = Self.peakRSS()
        if json {
            printJSONLine([
                "model": model.rawValue, "size": width, "height": height, "tile": tile.rawValue, "image_shape": shape,
                "latent_shape": encoded.mean.shape,
                "load_seconds": load, "first_seconds": first, "seconds": best, "peak_rss_mb": peak,
                "precision": precision.rawValue, "threads": NativeRuntime.threads, "winograd": winograd.rawValue,
                "computed_in": precision == .bf16 && NativeRuntime.bf16Fallback != nil ? "f32" : precision.rawValue,
            ])
        } else {
            print(
                String(
                    format: "%@ %d×%d tile %@ %@: %.2f s (first call %.2f s, engine made in %.2f s), peak RSS %d MB", model.rawValue,
                    width, height, tile.rawValue, precision.rawValue, best, first, load, peak))
        }
    }

    /// The encoder `--model` names, with random weights, tiled as `--tile` says (as `encode --local` tiles).
    private func makeEncoder() throws -> any EncodeEngine {
        let tiling = tile.mode(maxBytes: ByteSize.twoGiB.bytes)
        if model == .taesdEncoder {
            return try TinyEncoderEngine(randomWeights: 4, tiling: tiling, precision: precision, winograd: winograd.policy)
        }
        return try AutoencoderKLEncoderEngine(
            randomWeights: .standard(latentChannels: 4, postQuantConv: true), tiling: tiling, precision: precision,
            winograd: winograd.policy)
    }
}
