import Foundation
import LatentKit
import Testing
import VideoTestSupport

/// TAEHV through the command line: `decode --engine tiny` on a HunyuanVideo latent, and
/// `models` finding madebyollin/taehv in a Hugging Face cache.
@Suite struct TAEHVCLITests {
    static let video = CLITests.repository.appendingPathComponent("Tests/Fixtures/video")

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-taehv-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The clip case's latent, scaled into diffusion space as a pipeline would hand it over (the CLI
    /// divides by HunyuanVideo's 0.476986), decodes to taehv.py's frames: max |Δ| ≤ 1e-4 on [0, 1].
    @Test func decodeWritesTaehvPyFrames() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cases = try SafetensorsArchive(contentsOf: Self.video.appendingPathComponent("taehv_cases.safetensors"))
        let latent = try cases.tensor(named: "latent_clip").swappingTimeAndChannels().mapValues { $0 * 0.476986 }
        let input = folder.appendingPathComponent("clip.safetensors")
        try SafetensorsWriter.encode([NamedTensor(name: "latents", tensor: latent)]).write(to: input)
        let out = folder.appendingPathComponent("out")
        let result = try CLITests.run([
            "decode", input.path, "--preset", "hunyuanvideo", "--local", "--engine", "tiny", "--vae",
            Self.video.appendingPathComponent("taehv_narrow.safetensors").path, "--output-type", "pt", "--out", out.path,
        ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let decoded = try LatentFile.read(contentsOf: out.appendingPathComponent("clip.safetensors")).latent().tensor
        let expected = try cases.tensor(named: "decoded_clip").swappingTimeAndChannels()
        #expect(decoded.shape == [1, 3, 17, 64, 80])
        let error = zip(decoded.floatValues(), expected.floatValues()).map { abs(($0 + 1) / 2 - $1) }.max() ?? .infinity
        #expect(error <= 1e-4, "max abs error \(error)")
    }

    /// A snapshot of madebyollin/taehv (the checkpoint at its root) is found for hunyuanvideo, next
    /// to the full VAE's diffusers folder, and `decode --engine tiny` uses it without --vae.
    @Test func modelsListsTAEHVFromTheCache() throws {
        let root = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let tiny = root.appendingPathComponent("models--madebyollin--taehv/snapshots/0123abc")
        try FileManager.default.createDirectory(at: tiny, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: Self.video.appendingPathComponent("taehv_narrow.pth"), to: tiny.appendingPathComponent("taehv.pth"))
        let full = root.appendingPathComponent("models--hunyuanvideo-community--HunyuanVideo/snapshots/4567def/vae")
        try FileManager.default.createDirectory(at: full, withIntermediateDirectories: true)
        for name in ["config.json", "diffusion_pytorch_model.safetensors"] {
            try FileManager.default.copyItem(
                at: Self.video.appendingPathComponent("hv_tiny").appendingPathComponent(name), to: full.appendingPathComponent(name))
        }
        let environment = ["HF_HUB_CACHE": root.path, "HF_HOME": nil, "HOME": "/nonexistent"]
        let listed = try CLITests.runRaw(["models", "--json"], environment: environment)
        #expect(listed.status == 0, "\(listed.stderr)")
        let rows = try JSONDecoder().decode([[String: String]].self, from: Data(listed.stdout))
        let row = try #require(rows.first { $0["preset"] == "hunyuanvideo" })
        #expect(row["tiny"] == tiny.appendingPathComponent("taehv.pth").path)
        #expect(row["full"] == full.appendingPathComponent("diffusion_pytorch_model.safetensors").path)
        let cases = try SafetensorsArchive(contentsOf: Self.video.appendingPathComponent("taehv_cases.safetensors"))
        let input = root.appendingPathComponent("short.safetensors")
        try SafetensorsWriter.encode([
            NamedTensor(name: "latents", tensor: try cases.tensor(named: "latent_short").swappingTimeAndChannels())
        ]).write(to: input)
        let decoded = try CLITests.runRaw(
            [
                "decode", input.path, "--preset", "hunyuanvideo", "--space", "vae", "--local", "--engine", "tiny", "--output-type", "pt",
                "--out", root.appendingPathComponent("out").path,
            ], environment: environment)
        #expect(decoded.status == 0, "\(decoded.stderr)")
        let frames = try LatentFile.read(contentsOf: root.appendingPathComponent("out/short.safetensors")).latent().tensor
        #expect(frames.shape == [1, 3, 5, 48, 48])
    }
}
