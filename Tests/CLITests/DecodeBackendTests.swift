import Foundation
import Testing

/// Where `decode` sends a latent when the command line does not say.
@Suite(.serialized) struct DecodeBackendTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-backend-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func withoutABackendEachFileGoesToItsPresetsEndpoints() throws {
        let folder = try Self.folder()
        let config = folder.appendingPathComponent("config.toml")
        try CLITests.withServe { url in
            try "[presets.sd15]\nendpoints = [\"\(url)\"]\n".write(to: config, atomically: true, encoding: .utf8)
            let result = try CLITests.run([
                "decode", "Samples/sd15_512_seed13.safetensors", "--config", config.path, "--out", folder.path, "--json",
            ])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object?["endpoint"] as? String == url)
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("sd15_512_seed13.jpg").path))
        }
    }

    @Test func aPresetWithoutEndpointsSaysWhichAndTheWaysOut() throws {
        let folder = try Self.folder()
        let config = folder.appendingPathComponent("config.toml")
        try "[presets.mine]\nbase = \"sd15\"\nendpoints = []\n".write(to: config, atomically: true, encoding: .utf8)
        let latent = folder.appendingPathComponent("mine.safetensors").path
        let generated = try CLITests.run(["generate", "--preset", "mine", "--config", config.path, "--size", "64x64", "-o", latent])
        #expect(generated.status == 0, "\(generated.stderr)")
        let result = try CLITests.run(["decode", latent, "--config", config.path, "--out", folder.path])
        #expect(result.status == 1)
        #expect(
            result.stdout.contains(
                "preset 'mine' has no endpoint: pass --endpoint URL, decode on this machine with --local, or choose a preset that has endpoints with --preset"
            ), "\(result.stdout)")
        let named = try CLITests.run(["decode", latent, "--config", config.path, "--preset", "mine", "--out", folder.path])
        #expect(named.status == 1 && named.stdout.contains("preset 'mine' has no endpoint"), "\(named.stdout)")
    }

    /// Nothing listens there, so a retry would be refused too: one attempt, then the error.
    @Test func aRefusedEndpointFailsAtOnceWithoutRetries() throws {
        let folder = try Self.folder()
        let endpoint = "http://127.0.0.1:\(try closedLoopbackPort())/"
        let result = try CLITests.run([
            "decode", "Samples/sd15_512_seed13.safetensors", "--endpoint", endpoint, "--attempts", "4", "--out", folder.path, "--json",
        ])
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((object?["error"] as? String)?.hasPrefix("connection refused at \(endpoint)") == true, "\(result.stdout)")
        #expect(object?["retries"] as? Int == 0)
        #expect(!result.stderr.contains("retrying"), "\(result.stderr)")
    }
}
