import Foundation
import Testing

@testable import LatentKit
@testable import NativeVAE

/// Loading HunyuanVideo VAE weights: wrong or missing tensors are named, configs of other models or
/// with values this decoder does not build are refused with a sentence, and `--engine full` picks
/// the video decoder for video weights and presets (and refuses a mismatch).
@Suite(.serialized) struct HunyuanVideoWeightsTests {
    static let model = HunyuanVideoDecoderTests.model

    static func tensors() throws -> [NamedTensor] {
        let archive = try SafetensorsArchive(contentsOf: model.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        return archive.entries.map { NamedTensor(name: $0.name, tensor: archive.tensor(for: $0)) }
    }

    /// A model folder holding these tensors and this config (the fixture's when nil).
    static func folder(_ tensors: [NamedTensor], config: String? = nil) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-hv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.encode(tensors).write(to: directory.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let json = try config ?? String(contentsOf: model.appendingPathComponent("config.json"), encoding: .utf8)
        try json.write(to: directory.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
        return directory
    }

    static func engine(_ folder: URL) throws -> HunyuanVideoEngine {
        defer { try? FileManager.default.removeItem(at: folder) }
        return try HunyuanVideoEngine(location: try VAELocation.resolve(folder.path))
    }

    @Test func missingTensorIsNamed() throws {
        let missing = "decoder.up_blocks.2.upsamplers.0.conv.conv.weight"
        let folder = try Self.folder(try Self.tensors().filter { $0.name != missing })
        #expect(throws: NativeError.missingTensor(missing)) { try Self.engine(folder) }
    }

    @Test func extraTensorsAreNamed() throws {
        let extra = NamedTensor(
            name: "decoder.up_blocks.3.upsamplers.0.conv.conv.bias", tensor: try Tensor(values: [0, 0, 0, 0, 0, 0, 0, 0], shape: [8]))
        let folder = try Self.folder(try Self.tensors() + [extra])
        #expect(throws: NativeError.unexpectedTensors([extra.name])) { try Self.engine(folder) }
    }

    @Test func wrongShapeIsNamed() throws {
        let name = "decoder.conv_in.conv.weight"
        let flat = try Self.tensors().map { named in
            named.name == name
                ? NamedTensor(name: name, tensor: try Tensor(values: [Float](repeating: 0, count: 16 * 16 * 9), shape: [16, 16, 3, 3]))
                : named
        }
        let folder = try Self.folder(flat)
        #expect(throws: NativeError.wrongShape(name: name, expected: [16, 16, 3, 3, 3], actual: [16, 16, 3, 3])) { try Self.engine(folder) }
    }

    /// bf16 weight files (the community upload's dtype) load as the same rounded values in f32.
    @Test func bf16WeightFilesLoad() throws {
        let half = try Self.tensors().map { NamedTensor(name: $0.name, tensor: $0.tensor.converted(to: .bfloat16)) }
        let widened = half.map { NamedTensor(name: $0.name, tensor: $0.tensor.converted(to: .float32)) }
        let latent = try HunyuanVideoDecoderTests.fixture("latent_plain")
        let preset = HunyuanVideoDecoderTests.preset
        let a = try Self.engine(try Self.folder(half)).decode(latent, preset: preset)
        let b = try Self.engine(try Self.folder(widened)).decode(latent, preset: preset)
        #expect(a == b)
    }

    /// Tencent's original single file is a torch.save of the VAE's state dict (diffusers' names,
    /// wrapped in `state_dict`); hv_tiny_original.pt is the fixture model saved that way
    /// (`torch.save({"state_dict": load_file(...)}, ...)`) and decodes exactly as the safetensors.
    @Test func originalCheckpointLoads() throws {
        let checkpoint = HunyuanVideoDecoderTests.video.appendingPathComponent("hv_tiny_original.pt")
        let engine = try HunyuanVideoEngine(
            location: VAELocation(weights: checkpoint, config: Self.model.appendingPathComponent("config.json")))
        let latent = try HunyuanVideoDecoderTests.fixture("latent_plain")
        let preset = HunyuanVideoDecoderTests.preset
        #expect(try engine.decode(latent, preset: preset) == HunyuanVideoDecoderTests.engine("plain").decode(latent, preset: preset))
    }

    @Test(arguments: [
        (
            #"{"_class_name": "AutoencoderKL", "block_out_channels": [8, 16, 16, 16], "latent_channels": 16}"#,
            "describes AutoencoderKL, not an AutoencoderKLHunyuanVideo"
        ),
        (
            #"{"_class_name": "AutoencoderKLHunyuanVideo", "block_out_channels": [8, 16, 16, 16], "latent_channels": 16, "norm_num_groups": 4, "temporal_compression_ratio": 8}"#,
            "temporal_compression_ratio 8 are not the 8 and 4"
        ),
        (
            #"{"_class_name": "AutoencoderKLHunyuanVideo", "block_out_channels": [8, 16, 16], "latent_channels": 16, "norm_num_groups": 4}"#,
            "must have 4 entries"
        ),
        (
            #"{"_class_name": "AutoencoderKLHunyuanVideo", "block_out_channels": [8, 16, 16, 16], "latent_channels": 16, "norm_num_groups": 3}"#,
            "does not divide"
        ),
        (
            #"{"_class_name": "AutoencoderKLHunyuanVideo", "block_out_channels": [12, 24, 24, 24], "latent_channels": 16, "norm_num_groups": 4}"#,
            "not a positive multiple of 8"
        ),
    ])
    func unsupportedConfigsAreRefused(config: String, reason: String) throws {
        let folder = try Self.folder(try Self.tensors(), config: config)
        do {
            _ = try Self.engine(folder)
            Issue.record("the config was accepted")
        } catch let error as NativeError {
            guard case .badConfig = error else { return #expect(Bool(false), "\(error)") }
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    /// `--engine full` gives the video decoder for video weights with the video preset, and refuses
    /// video weights with an image preset and image weights with the video preset.
    @Test func fullEngineFollowsTheWeights() throws {
        let engine = try EngineName.full.makeEngine(vae: Self.model.path, preset: .hunyuanVideo)
        #expect(engine is HunyuanVideoEngine)
        #expect(try EngineName.full.makeEngine(vae: Self.model.path) is HunyuanVideoEngine)
        #expect(throws: NativeError.self) { try EngineName.full.makeEngine(vae: Self.model.path, preset: .sd15) }
        let image = NativeDecoderTests.models.appendingPathComponent("tiny_kl4.safetensors").path
        do {
            _ = try EngineName.full.makeEngine(vae: image, preset: .hunyuanVideo)
            Issue.record("image weights were taken for the video preset")
        } catch let error as NativeError {
            #expect(error.description.contains("an image VAE"), "\(error)")
        }
    }
}
