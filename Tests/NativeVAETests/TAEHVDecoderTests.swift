import Foundation
import Synchronization
import Testing
import VideoTestSupport

@testable import LatentKit
@testable import NativeVAE

/// TAEHV against taehv.py's `decode_video` (Tests/Fixtures/video, made by GENERATE.py with narrow
/// random weights, widths [16, 16, 8, 8]). Tolerance: max |Δ| ≤ 1e-4 on taehv's [0, 1] output in
/// f32 — 23 convolutions in different summation orders (Winograd here) cost ~1e-6 each.
@Suite struct TAEHVDecoderTests {
    static let video = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/video")
    static let weights = video.appendingPathComponent("taehv_narrow.safetensors")

    static func fixture(_ name: String) throws -> Tensor {
        try SafetensorsArchive(contentsOf: video.appendingPathComponent("taehv_cases.safetensors")).tensor(named: name)
    }

    /// The engine's latent for a fixture case, NCTHW.
    static func latent(_ name: String) throws -> Tensor { try fixture("latent_" + name).swappingTimeAndChannels() }

    /// max |Δ| between the engine's NCTHW [-1, 1] clip and taehv.py's NTCHW [0, 1] one, on the [0, 1] scale.
    static func error(_ decoded: Tensor, against name: String) throws -> Float {
        let expected = try fixture("decoded_" + name).swappingTimeAndChannels()
        #expect(decoded.shape == expected.shape)
        return zip(decoded.floatValues(), expected.floatValues()).map { abs(($0 + 1) / 2 - $1) }.max() ?? .infinity
    }

    static let preset = Preset.hunyuanVideo

    @Test(arguments: ["short", "clip"], [TAEHVEngine.Form.streaming, .parallel(chunkFrames: 2), .parallel(chunkFrames: 8)])
    func matchesTaehvPy(name: String, form: TAEHVEngine.Form) throws {
        let engine = try TAEHVEngine(location: VAELocation(weights: Self.weights, config: nil), form: form)
        let decoded = try engine.decode(try Self.latent(name), preset: Self.preset)
        let error = try Self.error(decoded, against: name)
        #expect(error <= 1e-4, "max abs error \(error)")
    }

    /// The sink gets every frame once, in order, equal to the returned clip; the first arrives
    /// while later latent frames are still to be decoded.
    @Test(arguments: [TAEHVEngine.Form.streaming, .parallel(chunkFrames: 2)])
    func framesAreHandedOutInOrderAsTheyFinish(form: TAEHVEngine.Form) throws {
        let engine = try TAEHVEngine(location: VAELocation(weights: Self.weights, config: nil), form: form)
        let received = Mutex<[DecodedFrames]>([])
        let decoded = try engine.decode(try Self.latent("clip"), preset: Self.preset) { frames in
            received.withLock { $0.append(frames) }
        }
        let calls = received.withLock { $0 }
        #expect(calls.map(\.first) == Array(0..<17))
        #expect(calls.allSatisfy { $0.item == 0 && $0.total == 17 && $0.count == 1 && $0.pixels.shape == [3, 1, 64, 80] })
        let clip = decoded.floatValues()
        let plane = 64 * 80
        for call in calls {
            let pixels = call.pixels.floatValues()
            for c in 0..<3 {
                let start = (c * 17 + call.first) * plane
                #expect(Array(clip[start..<(start + plane)]) == Array(pixels[(c * plane)..<((c + 1) * plane)]))
            }
        }
    }

    /// Frames leave each form as soon as the latent frames they need are in: one after the first
    /// latent frame (4 made, 3 trimmed), four after each later one — never waiting for the clip's end.
    @Test func framesComeOutAsLatentFramesGoIn() throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        let decoder = try TAEHVDecoder(weights: try WeightStore.load(Self.weights))
        let latent = try Self.fixture("latent_clip").floatValues()
        let plane = 16 * 8 * 10
        let frames = (0..<5).map { FeatureMap(channels: 16, height: 8, width: 10, data: Array(latent[($0 * plane)..<(($0 + 1) * plane)])) }
        // As the engines do: oneDNN's stream and scratch buffer are shared by every decode.
        try context.lock.withLock { _ in
            defer { ActivationPool.shared.drain() }
            var streamed: [Int] = []
            var emitted = 0
            let streaming = TAEHVStreaming(decoder: decoder, context: context)
            let streamingState = TAEHVState(decoder)
            for frame in frames {
                try streaming.push(frame, state: streamingState) { _ in emitted += 1 }
                streamed.append(emitted)
            }
            #expect(streamed == [1, 5, 9, 13, 17])
            var chunked: [Int] = []
            emitted = 0
            let parallel = TAEHVParallel(decoder: decoder, context: context)
            let parallelState = TAEHVState(decoder)
            for chunk in [0..<1, 1..<3, 3..<5] {
                try parallel.push(Array(frames[chunk]), state: parallelState) { _ in emitted += 1 }
                chunked.append(emitted)
            }
            #expect(chunked == [1, 9, 17])
        }
    }

    /// Each batch item is its own clip: its memories start empty and its frames are numbered from 0.
    @Test func batchItemsAreDecodedAsSeparateClips() throws {
        let engine = try TAEHVEngine(location: VAELocation(weights: Self.weights, config: nil), form: .parallel(chunkFrames: 2))
        let one = try Self.latent("short")
        let two = try Tensor(values: one.floatValues() + one.floatValues(), shape: [2] + one.shape.dropFirst())
        let received = Mutex<[(item: Int, first: Int)]>([])
        let decoded = try engine.decode(two, preset: Self.preset) { frames in received.withLock { $0.append((frames.item, frames.first)) } }
        #expect(received.withLock { $0.map(\.item) } == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
        #expect(received.withLock { $0.map(\.first) } == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
        #expect(decoded.shape == [2, 3, 5, 48, 48])
        let values = decoded.floatValues()
        let half = values.count / 2
        let first = try Tensor(values: Array(values[..<half]), shape: [1, 3, 5, 48, 48])
        #expect(Array(values[..<half]) == Array(values[half...]))
        #expect(try Self.error(first, against: "short") <= 1e-4)
    }

    /// One latent frame makes one output frame (4 made, 3 trimmed), so a clip's first frame needs
    /// only the first latent frame: decoding that alone gives the same first frame as the clip.
    @Test func theFirstFrameNeedsOnlyTheFirstLatentFrame() throws {
        let engine = try TAEHVEngine(location: VAELocation(weights: Self.weights, config: nil), form: .streaming)
        let latent = try Self.latent("clip")
        let first = try engine.decode(try Self.firstFrames(latent, 1), preset: Self.preset)
        #expect(first.shape == [1, 3, 1, 64, 80])
        let clip = try engine.decode(latent, preset: Self.preset).floatValues()
        let plane = 64 * 80
        for c in 0..<3 {
            #expect(Array(first.floatValues()[(c * plane)..<((c + 1) * plane)]) == Array(clip[(c * 17 * plane)..<((c * 17 + 1) * plane)]))
        }
    }

    static func firstFrames(_ latent: Tensor, _ count: Int) throws -> Tensor {
        let s = latent.shape
        let plane = s[3] * s[4]
        let values = latent.floatValues()
        var result: [Float] = []
        for c in 0..<s[1] { result += values[(c * s[2] * plane)..<((c * s[2] + count) * plane)] }
        return try Tensor(values: result, shape: [1, s[1], count, s[3], s[4]])
    }

    @Test func automaticFormFollowsTheMemoryBudget() throws {
        let location = VAELocation(weights: Self.weights, config: nil)
        #expect(try TAEHVEngine(location: location, form: .automatic(memoryBudget: 1)).plan(height: 40, width: 64) == .streaming)
        let roomy = try TAEHVEngine(location: location, form: .automatic(memoryBudget: 1 << 30)).plan(height: 40, width: 64)
        #expect(roomy != .streaming)
        let decoded = try TAEHVEngine(location: location, form: .automatic(memoryBudget: 1)).decode(
            try Self.latent("short"), preset: Self.preset)
        #expect(try Self.error(decoded, against: "short") <= 1e-4)
    }

    @Test func imageLatentsAreRefusedWithTheShapeTAEHVTakes() throws {
        let engine = try TAEHVEngine(location: VAELocation(weights: Self.weights, config: nil))
        #expect(
            throws: EngineError.failed(engine: "tiny", reason: "TAEHV decodes video latents [B, C, T, H, W] with T ≥ 1, not [1, 16, 6, 6]")
        ) {
            try engine.decode(try Tensor(values: [Float](repeating: 0, count: 16 * 36), shape: [1, 16, 6, 6]), preset: Self.preset)
        }
        #expect(throws: EngineError.unsupportedChannels(engine: "tiny", channels: 4)) {
            try engine.decode(try Tensor(values: [Float](repeating: 0, count: 4 * 36), shape: [1, 4, 1, 6, 6]), preset: Self.preset)
        }
    }

    @Test func pthCheckpointsLoad() throws {
        let engine = try TAEHVEngine(location: VAELocation(weights: Self.video.appendingPathComponent("taehv_narrow.pth"), config: nil))
        let decoded = try engine.decode(try Self.latent("short"), preset: Self.preset)
        #expect(try Self.error(decoded, against: "short") <= 1e-4)
    }
}

/// What the TAEHV loader says about weights that are not the ones it decodes.
@Suite struct TAEHVWeightTests {
    static func narrow() throws -> [NamedTensor] {
        try SafetensorsArchive(contentsOf: TAEHVDecoderTests.weights).allTensors()
    }

    /// The error from loading these tensors, written to a file named `fileName`.
    static func failure(_ tensors: [NamedTensor], fileName: String = "model.safetensors") -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-taehv-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent(fileName)
            try SafetensorsWriter.encode(tensors).write(to: file)
            _ = try TAEHVEngine(location: VAELocation(weights: file, config: nil))
            return "no error"
        } catch {
            return String(describing: error)
        }
    }

    static func zeros(_ shape: [Int]) throws -> Tensor {
        try Tensor(values: [Float](repeating: 0, count: shape.reduce(1, *)), shape: shape)
    }

    @Test func theEncoderIsIgnored() throws {
        let tensors = try Self.narrow()
        #expect(tensors.contains { $0.name.hasPrefix("encoder.") })
        #expect(Self.failure(tensors) == "no error")
    }

    /// taehv1_5 / taew2_2: patch size 2, so the input takes 32 / 48 channels and the output makes 12.
    @Test(arguments: [(32, "taehv1_5"), (48, "taew2_2")])
    func patchSizeTwoVariantsAreRefusedByName(channels: Int, variant: String) throws {
        let tensors = try Self.narrow().map { tensor -> NamedTensor in
            switch tensor.name {
            case "decoder.1.weight": NamedTensor(name: tensor.name, tensor: try Self.zeros([16, channels, 3, 3]))
            case "decoder.22.weight": NamedTensor(name: tensor.name, tensor: try Self.zeros([12, 8, 3, 3]))
            case "decoder.22.bias": NamedTensor(name: tensor.name, tensor: try Self.zeros([12]))
            default: tensor
            }
        }
        let message = Self.failure(tensors)
        #expect(message.hasPrefix("these weights are \(variant), "), "\(message)")
        #expect(message.contains("which latentty does not support"))
    }

    @Test func cogVideoXWeightsAreRefusedByName() throws {
        #expect(Self.failure(try Self.narrow(), fileName: "taecvx.safetensors").hasPrefix("these weights are taecvx, "))
        #expect(Self.failure(try Self.narrow(), fileName: "taew2_1.safetensors") == "no error")
    }

    @Test func badTensorsAreNamed() throws {
        let tensors = try Self.narrow()
        #expect(
            Self.failure(tensors.filter { $0.name != "decoder.16.conv.2.bias" })
                == "the weights lack 'decoder.16.conv.2.bias'; is this the right model for the preset?")
        let stray = NamedTensor(name: "decoder.18.conv.weight", tensor: try Self.zeros([1]))
        #expect(Self.failure(tensors + [stray]) == "the weights hold decoder tensors this model does not use: decoder.18.conv.weight")
        let transposed = tensors.map { tensor in
            tensor.name == "decoder.9.conv.2.weight" ? NamedTensor(name: tensor.name, tensor: (try? Self.zeros([16, 16, 1, 9]))!) : tensor
        }
        #expect(Self.failure(transposed) == "weight 'decoder.9.conv.2.weight' is [16, 16, 1, 9] but the model config needs [16, 16, 3, 3]")
    }
}

/// Where TAEHV weights are found and which engine `--engine tiny` makes from them.
@Suite struct TAEHVDiscoveryTests {
    @Test func snapshotFoldersWithTheCheckpointAtTheirRootResolve() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-taehv-hub-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let snapshot = root.appendingPathComponent("hub/models--madebyollin--taehv/snapshots/0123abc")
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TAEHVDecoderTests.weights, to: snapshot.appendingPathComponent("taehv.safetensors"))
        #expect(ModelDiscovery.tinyModelID(for: .hunyuanVideo) == "madebyollin/taehv")
        #expect(try VAELocation.resolve(snapshot.path).weights.lastPathComponent == "taehv.safetensors")
        let survey = ModelDiscovery.survey(Preset.builtins, environment: ["HF_HOME": root.path, "HOME": "/nonexistent"])
        #expect(survey.first { $0.preset == "hunyuanvideo" }?.tiny?.weights == snapshot.appendingPathComponent("taehv.safetensors"))
        #expect(survey.first { $0.preset == "sd15" }?.tiny == nil)
        #expect(try EngineName.tiny.makeEngine(vae: snapshot.path, preset: .hunyuanVideo) is TAEHVEngine)
    }

    @Test func theTinyEngineFollowsThePresetAndTheWeights() throws {
        let taesd = NativeDecoderTests.models.appendingPathComponent("taesd_random.safetensors").path
        #expect(try EngineName.tiny.makeEngine(vae: taesd, preset: .sd15) is TinyVAEEngine)
        #expect(try EngineName.tiny.makeEngine(vae: TAEHVDecoderTests.weights.path, preset: nil) is TAEHVEngine)
        #expect(try EngineName.tiny.makeEngine(vae: TAEHVDecoderTests.weights.path, preset: .hunyuanVideo) is TAEHVEngine)
    }
}
