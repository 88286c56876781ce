import ArgumentParser
import Foundation
import LatentKit
import NativeVAE
import Workbench

/// How local decodes run: which engine, which weights, tiling, precision and threads.
struct EngineOptions: ParsableArguments {
    @Option(help: "Local engine: approx (latent2rgb, no weights), full (AutoencoderKL) or tiny (TAESD; TAEHV for video).")
    var engine: EngineName = .approx

    @Option(
        help: "VAE weights: a .safetensors (or TAEHV .pth) file or a model folder (default: the preset's model in the Hugging Face cache).")
    var vae: String?

    @Option(
        help:
            "Tiled decode for the full engine, tiled encode for full and tiny (auto: when an untiled one would need more than --max-memory)."
    )
    var tile: TileChoice = .auto

    @Option(
        name: .customLong("max-memory"),
        help:
            "With --tile auto, tile when an untiled decode or encode would need more than this (e.g. 1.5G, 800M); encode --local refuses images whose pixels alone need more."
    )
    var maxMemory = ByteSize.twoGiB

    @Option(help: "Compute precision of the full decoder and encoder: f32, or bf16 (bfloat16 convolutions with f32 accumulation).")
    var precision: Precision = .f32

    @OptionGroup var runtime: NativeRuntimeOptions

    var tiling: TilingMode { tile.mode(maxBytes: maxMemory.bytes) }

    /// What the engine is, as jobs and the journal record it.
    var spec: LocalEngineSpec {
        LocalEngineSpec(engine: engine, weights: vae, precision: precision, tiling: tiling)
    }

    func makeEngine(preset: Preset?) throws -> any DecodeEngine {
        runtime.apply(precision: engine == .approx ? .f32 : precision)
        let start = Date()
        let made = try reportingErrors {
            try engine.makeEngine(vae: vae, preset: preset, tiling: tiling, precision: precision)
        }
        if runtime.verbose { printError(String(format: "native decoder: weights loaded in %.2f s", Date().timeIntervalSince(start))) }
        return made
    }
}
