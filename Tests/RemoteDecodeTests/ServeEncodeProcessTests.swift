import Foundation
import Testing
import VideoTestSupport
import Wire

@testable import LatentKit

/// `latentty serve --engine full` as diffusers' `remote_encode` meets it: the URL it prints at start
/// answers diffusers' request (a PNG, the preset's scaling factor) with diffusers' scaled mean.
@Suite(.timeLimit(.minutes(2))) struct ServeEncodeProcessTests {
    let client = ServerTestClient()

    @Test func theURLServePrintsEncodesAsDiffusersDoes() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-serve-encode-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let model = try fixtureModelFolder("models/tiny_kl4.safetensors", in: root)
        let marker = "encoding for sd15 at "
        let (process, stderr, _) = try await ServerDrainTests.serve(
            ["--engine", "full", "--vae", model.path, "--preset", "sd15"], until: marker)
        defer { if process.isRunning { process.interrupt() } }
        let printed = try #require(stderr.all.split(separator: "\n").first { $0.contains(marker) })
        let url = String(try #require(printed.split(separator: marker).last?.split(separator: " ").first))
        #expect(url.hasPrefix("http://127.0.0.1:") && url.hasSuffix("/encode"))

        let png = Array(try Data(contentsOf: fixturesFolder.appendingPathComponent("encode/image_gradient.png")))
        let wire = EncodeRequest(input: .png(png), scalingFactor: 0.18215).wire
        let latent = try EncodeRequest.parseResponse(try await client.transport.perform(wire, url: wire.url(endpoint: url)))
        let archive = try SafetensorsArchive(contentsOf: fixturesFolder.appendingPathComponent("encode/encode_cases.safetensors"))
        let expected = archive.tensor(for: try #require(archive.entries.first { $0.name == "remote_tiny_kl4_gradient" }))
        #expect(latent.shape == expected.shape)
        let error = zip(latent.floatValues(), expected.floatValues()).map { abs($0 - $1) }.max() ?? .infinity
        #expect(error <= 1e-4, "max |Δ| \(error)")
    }
}
