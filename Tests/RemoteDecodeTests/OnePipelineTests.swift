import DecodePipeline
import Foundation
import RemoteDecode
import Testing
import Wire
import Workbench

@testable import LatentKit
@testable import NativeVAE

/// One decode pipeline: a job decoded on this machine gives exactly what `latentty serve` with the
/// same engine answers for it — tensors byte for byte, images pixel for pixel (the same encoder
/// makes the same bytes) — for every engine and output type.
@Suite struct OnePipelineTests {
    struct Case: Sendable, CustomStringConvertible {
        let engine: String
        let preset: Preset
        let channels: Int
        let output: OutputType
        let format: ImageFormat
        var batch = 1
        var description: String { "\(engine) \(preset.id) \(output.rawValue)/\(format.rawValue) ×\(batch)" }
    }

    static let engines: [(name: String, preset: Preset, channels: Int)] = [
        ("approx", .sd15, 4), ("taesd_random", .sd15, 4), ("tiny_kl4", .sd15, 4), ("tiny_kl16", .flux, 16),
    ]

    static let cases: [Case] =
        engines.flatMap { engine in
            [(OutputType.pil, ImageFormat.png), (.pil, .jpg), (.pt, .png), (.ptUInt8, .png)].map {
                Case(engine: engine.name, preset: engine.preset, channels: engine.channels, output: $0.0, format: $0.1)
            }
        } + [Case(engine: "approx", preset: .sd15, channels: 4, output: .pil, format: .png, batch: 2)]

    static func makeEngine(_ name: String) throws -> any DecodeEngine {
        let weights = Fixtures.models.appendingPathComponent(name + ".safetensors")
        let config = Fixtures.models.appendingPathComponent(name + ".config.json")
        switch name {
        case "approx": return Latent2RGBEngine()
        case "taesd_random": return try TinyVAEEngine(location: VAELocation(weights: weights, config: nil))
        default: return try AutoencoderKLEngine(location: VAELocation(weights: weights, config: config))
        }
    }

    @Test(arguments: cases)
    func localAnswerEqualsServedAnswer(item: Case) async throws {
        let engine = try Self.makeEngine(item.engine)
        let job = DecodeJob(
            name: "x", source: JobSource(), latent: try seededLatent([item.batch, item.channels, 8, 8]), preset: item.preset,
            backend: .local(.approx), options: DecodeOptions(outputType: item.output, imageFormat: item.format))
        let local = try await LocalBackend(engine: engine).run(job) { _ in }
        let served = try await withLatenttyServer(engine: engine) { url in
            try await RemoteBackend(
                client: RemoteClient(sleeper: RecordingSleeper().sleeper), configuration: RemoteConfiguration(endpoints: [url])
            )
            .run(job) { _ in }
        }
        #expect(local.payload == served.payload)
        #expect(local.engine == engine.name)
        switch (local.payload, item.output) {
        case (.image(let kind, _), .pil): #expect(item.batch == 1 && kind == (item.format == .png ? .png : .jpeg))
        case (.tensor(let tensor), .pt): #expect(tensor.dtype == .float16 && tensor.shape[0] == item.batch)
        // A batch asked for as images comes back as uint8 frames on both sides, saved as images.
        case (.tensor(let tensor), _): #expect(tensor.dtype == .uint8 && tensor.shape[0] == item.batch)
        default: Issue.record("unexpected payload for \(item)")
        }
    }
}
