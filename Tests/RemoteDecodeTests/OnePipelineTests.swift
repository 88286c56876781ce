import DecodePipeline
import Foundation
import ImageCodecs
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

    /// The video engines behind `serve`: a HunyuanVideo request for `pt` gets exactly the clip the
    /// engine decodes (not a latent2rgb stand-in), the same as the local backend's, and `mp4` gets a
    /// video of all its frames.
    @Test(arguments: ["hv_tiny", "taehv_narrow"])
    func videoEnginesServeTheirOwnDecode(model: String) async throws {
        let video = Fixtures.models.deletingLastPathComponent().appendingPathComponent("video")
        let engine: any DecodeEngine =
            model == "hv_tiny"
            ? try HunyuanVideoEngine(location: VAELocation.resolve(video.appendingPathComponent(model).path))
            : try TAEHVEngine(location: VAELocation(weights: video.appendingPathComponent(model + ".safetensors"), config: nil))
        let latent = try seededLatent([1, 16, 3, 4, 4], .float32)
        let expected = try engine.decode(Preset.hunyuanVideo.toVAESpace(latent), preset: .hunyuanVideo)
        #expect(expected.shape == [1, 3, 9, 32, 32])
        for output in [OutputType.pt, .mp4] {
            let job = DecodeJob(
                name: "clip", source: JobSource(), latent: latent, preset: .hunyuanVideo, backend: .local(.approx),
                options: DecodeOptions(outputType: output))
            let local = try await LocalBackend(engine: engine).run(job) { _ in }
            let served = try await withLatenttyServer(engine: engine, preset: .hunyuanVideo) { url in
                try await RemoteBackend(
                    client: RemoteClient(sleeper: RecordingSleeper().sleeper), configuration: RemoteConfiguration(endpoints: [url])
                )
                .run(job) { _ in }
            }
            switch served.payload {
            case .tensor(let tensor):
                #expect(local.payload == served.payload)
                #expect(tensor.shape == expected.shape)
                let error = zip(tensor.floatValues(), expected.floatValues()).map { abs($0 - $1) }.max() ?? .infinity
                #expect(error <= 1e-5, "max |Δ| \(error) against the engine's own decode")
            case .video(let bytes):
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-\(UUID().uuidString).mp4")
                defer { try? FileManager.default.removeItem(at: file) }
                try Data(bytes).write(to: file)
                #expect(try MP4Decoder.frames(of: file).count == 9)
            default: Issue.record("unexpected payload for \(output)")
            }
        }
    }
}
