import Foundation
import Testing

@testable import LatentKit

/// `latentty decode --preset hunyuanvideo --local --engine full`: the HunyuanVideo VAE decoder from
/// a diffusers folder, end to end, against diffusers' pixels; and `bench local --model
/// hunyuanvideo`'s refusals (its random full-size model takes a minute to make in a debug build,
/// so the suite leaves timing it to scripts).
@Suite struct HunyuanVideoCLITests {
    static let video = CLITests.repository.appendingPathComponent("Tests/Fixtures/video")

    static func fixture(_ name: String) throws -> Tensor {
        let archive = try SafetensorsArchive(contentsOf: video.appendingPathComponent("hv_tiny_cases.safetensors"))
        let entry = try #require(archive.entries.first { $0.name == name })
        return archive.tensor(for: entry)
    }

    @Test func decodesAClipLikeDiffusers() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-hv-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The CLI takes diffusion-space latents and divides by the preset's scaling factor.
        let latent = try Self.fixture("latent_plain")
        let scaled = try Tensor(values: latent.floatValues().map { $0 * 0.476986 }, shape: latent.shape)
        let input = directory.appendingPathComponent("clip.safetensors")
        try SafetensorsWriter.encode([NamedTensor(name: "latent", tensor: scaled)]).write(to: input)
        let out = directory.appendingPathComponent("out")
        let result = try CLITests.run([
            "decode", input.path, "--preset", "hunyuanvideo", "--local", "--engine", "full", "--vae",
            Self.video.appendingPathComponent("hv_tiny").path, "--output-type", "pt", "--out", out.path,
        ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let decoded = try LatentFile.read(contentsOf: out.appendingPathComponent("clip.safetensors")).latent().tensor
        let expected = try Self.fixture("decoded_plain")
        #expect(decoded.shape == expected.shape)
        let error = zip(decoded.floatValues(), expected.floatValues()).map { abs($0 - $1) }.max() ?? .infinity
        #expect(error <= 1e-4, "max |Δ| \(error)")
        let frames = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix("clip_") && $0.hasSuffix(".jpg") }
        #expect(frames.count == 5)
    }

    @Test func imageWeightsWithTheVideoPresetAreRefused() throws {
        let result = try CLITests.run([
            "decode", "Tests/Fixtures/models/tiny_kl4_latent.safetensors", "--preset", "hunyuanvideo", "--local", "--engine", "full",
            "--vae", "Tests/Fixtures/models/tiny_kl4.safetensors",
        ])
        #expect(result.status != 0)
        #expect(result.stderr.contains("the weights are an image VAE but the preset hunyuanvideo is a video model"), "\(result.stderr)")
    }

    @Test func benchOptionsForTheImageDecodersAreRefused() throws {
        let compare = try CLITests.run(["bench", "local", "--model", "hunyuanvideo", "--compare"])
        #expect(compare.status == 64 && compare.stderr.contains("--compare and --winograd are for the image decoders"), "\(compare.stderr)")
        let conv = try CLITests.run(["bench", "conv", "--model", "hunyuanvideo"])
        #expect(conv.status == 64 && conv.stderr.contains("--model sd or taesd"), "\(conv.stderr)")
    }
}
