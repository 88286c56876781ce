import LatentKit
import NativeVAE

extension EngineOptions {
    /// The local encoder for `encode --local` and `serve`'s `/encode`, from the same --engine, --vae,
    /// --tile, --max-memory and --precision as decoding.
    func makeEncodeEngine(preset: Preset?) throws -> any EncodeEngine {
        runtime.apply(precision: engine == .approx ? .f32 : precision)
        return try engine.makeEncodeEngine(vae: vae, preset: preset, tiling: tiling, precision: precision)
    }
}
