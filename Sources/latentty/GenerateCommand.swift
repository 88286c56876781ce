import ArgumentParser
import Foundation
import LatentKit

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write seeded noise latents, identical to torch.randn on a CPU generator.",
        discussion: """
            The tensor equals torch.randn(shape, generator=torch.Generator("cpu").manual_seed(SEED), dtype=DTYPE)
            for the shape the preset's pipeline samples at that size. Writes safetensors, or .npy by extension.

            Example: latentty generate --preset sd15 --size 512x512 --seed 13 --dtype float16 -o noise.safetensors
            """)

    @OptionGroup var presets: PresetOptions

    @Option(help: "Preset id (see `latentty presets`).")
    var preset: String = "sd15"

    @Option(help: "Image size as WIDTHxHEIGHT in pixels.")
    var size: String = "512x512"

    @Option(help: "Seed for the torch CPU generator.")
    var seed: UInt64 = 0

    @Option(help: "float32, float16 or bfloat16.")
    var dtype: String = "float32"

    @Option(help: "Video frames (video presets; 4k+1, e.g. 61).")
    var frames: Int?

    @Flag(help: "Pack the latent into 2×2 patches as Flux pipelines do.")
    var packed = false

    @Option(help: "Number of latents in the batch.")
    var batch: Int = 1

    @Option(name: [.customShort("o"), .long], help: "Output file (.safetensors or .npy).")
    var output: String

    @Flag(help: "Print what was written as JSON.")
    var json = false

    struct Written: Encodable {
        let path: String
        let preset: String
        let shape: [Int]
        let dtype: DType
        let seed: UInt64
        let packed: Bool
    }

    func run() throws {
        let catalog = try presets.catalog()
        let preset = try presets.preset(self.preset, in: catalog)
        guard let dtype = DType(userName: dtype), dtype.isFloatingPoint else {
            throw ValidationError("dtype '\(self.dtype)' is not float32, float16 or bfloat16")
        }
        let url = URL(fileURLWithPath: output)
        let tensor = try reportingErrors {
            let (width, height) = try GenerationRequest.parseSize(size)
            let request = GenerationRequest(
                preset: preset, width: width, height: height, frames: frames, batch: batch, packed: packed)
            let tensor = try request.generate(seed: seed, dtype: dtype)
            let metadata = [
                "latentty.preset": preset.id, "latentty.seed": String(seed),
                "latentty.size": "\(width)x\(height)",
                "latentty.space": LatentSpace.diffusion.rawValue, "latentty.packed": String(packed),
            ]
            try LatentWriter.write(tensor, to: url, metadata: metadata)
            return tensor
        }
        if json {
            try printJSON(
                Written(
                    path: url.path, preset: preset.id, shape: tensor.shape, dtype: dtype, seed: seed,
                    packed: packed))
        } else {
            // The preset's name may come from config.toml.
            printLine(
                "wrote \(url.path): \(preset.name) noise \(tensor.shape.shapeText) \(dtype.rawValue), seed \(seed)"
            )
        }
    }
}
