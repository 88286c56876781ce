import ArgumentParser
import Foundation
import LatentKit
import NativeVAE
import Workbench

/// How local decodes run: which engine, which weights, tiling, precision and threads.
struct EngineOptions: ParsableArguments {
    @Option(help: "Local engine: approx (latent2rgb, no weights), full (AutoencoderKL) or tiny (TAESD).")
    var engine: String = EngineName.approx.rawValue

    @Option(help: "VAE weights: a .safetensors file or a model folder (default: the preset's model in the Hugging Face cache).")
    var vae: String?

    @Option(help: "Tiled decode for the full engine: auto, on or off.")
    var tile: String = "auto"

    @Option(
        name: .customLong("max-memory"), help: "With --tile auto, tile when an untiled decode would need more than this (e.g. 1.5G, 800M).")
    var maxMemory: String = "2G"

    @Option(help: "Compute precision of the full decoder: f32, or bf16 (bfloat16 convolutions with f32 accumulation).")
    var precision: String = "f32"

    @OptionGroup var runtime: NativeRuntimeOptions

    func validate() throws {
        try runtime.validate()
        guard EngineName(rawValue: engine) != nil else {
            throw ValidationError("--engine must be one of \(EngineName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ["auto", "on", "off"].contains(tile) else { throw ValidationError("--tile must be auto, on or off") }
        guard Self.bytes(maxMemory) != nil else { throw ValidationError("--max-memory '\(maxMemory)' is not a size like 2G or 800M") }
        guard Precision(rawValue: precision) != nil else { throw ValidationError("--precision must be f32 or bf16") }
    }

    var tiling: TilingMode {
        switch tile {
        case "on": .on
        case "off": .off
        default: .auto(maxBytes: Self.bytes(maxMemory) ?? (2 << 30))
        }
    }

    /// What the engine is, as jobs and the journal record it.
    var spec: LocalEngineSpec {
        LocalEngineSpec(engine: EngineName(rawValue: engine) ?? .approx, weights: vae, precision: Precision(rawValue: precision) ?? .f32, tiling: tiling)
    }

    func makeEngine(preset: Preset?) throws -> any DecodeEngine {
        runtime.apply()
        return try reportingErrors {
            try EngineName(rawValue: engine)!.makeEngine(
                vae: vae, preset: preset, tiling: tiling, precision: Precision(rawValue: precision) ?? .f32)
        }
    }

    /// `2G`, `1.5g`, `800M`, `4096` → bytes.
    static func bytes(_ text: String) -> Int? {
        let units: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824]
        var number = text.uppercased()
        var scale = 1.0
        if let last = number.last, let unit = units[last] {
            scale = unit
            number.removeLast()
        }
        guard let value = Double(number), value > 0 else { return nil }
        return Int(value * scale)
    }
}
