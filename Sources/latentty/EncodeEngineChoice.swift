import LatentKit
import NativeVAE

/// Why there is no local encoder for the engine asked for.
struct EncoderUnavailable: Error, CustomStringConvertible {
    let engine: EngineName

    var description: String {
        "native encoders are not built yet (asked for --engine \(engine.rawValue)): encode remotely with --endpoint URL or the preset's encode endpoint"
    }
}

extension EngineOptions {
    /// The local encoder for `encode --local` and `serve`'s `/encode`, from the same --engine and
    /// --vae as decoding. The native encoders (AutoencoderKL, TAESD) are built separately; this is
    /// where they are made once they land, and until then every engine is refused by name.
    func makeEncodeEngine(preset: Preset?) throws(EncoderUnavailable) -> any EncodeEngine {
        throw EncoderUnavailable(engine: engine)
    }
}
