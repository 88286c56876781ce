import DecodePipeline
import Foundation
import Hummingbird
import ImageCodecs
import Logging
import ServiceLifecycle
import Synchronization
import TerminalGraphics
import Testing
import VideoTestSupport
import Wire

@testable import LatentKit
@testable import LatenttyServer
@testable import LatenttyTUI
@testable import NativeVAE
@testable import RemoteDecode
@testable import Workbench

/// Images opened in the workbench: encoded on the current backend through the decode queue, their
/// latent on disk and listed with the image as thumbnail, decoded back, compared with the original.
/// Driven through the reducer and the effect runner's work as key presses would be; what is checked
/// is on disk, in the queue's events, or what a server saw.
@Suite struct EncodeWorkbenchTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    func temporaryRoot() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-encode-wb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }

    /// tiny_kl4 as a model folder diffusers saves (weights and config.json), as the full engine's spec.
    func tinyKL4(in root: URL) throws -> LocalEngineSpec {
        LocalEngineSpec(engine: .full, weights: try fixtureModelFolder("models/tiny_kl4.safetensors", in: root).path)
    }

    /// The fixture's 96×64 gradient, copied where the test may delete it.
    func gradient(in root: URL) throws -> URL {
        let url = root.appendingPathComponent("image_gradient.png")
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("encode/image_gradient.png"), to: url)
        return url
    }

    func queue(_ root: URL, registry: BackendRegistry = .standard()) -> DecodeQueue {
        DecodeQueue(
            registry: registry, writer: OutputWriter(directory: root.appendingPathComponent("out")),
            journal: JobJournal(directory: root.appendingPathComponent("journal")))
    }

    /// Submits what `effects` queue, then feeds the queue's events to the reducer until `done` says
    /// enough; returns the effects the reducer asked for meanwhile.
    func run(
        _ effects: [Effect], on queue: DecodeQueue, events: inout AsyncStream<QueueEvent>.Iterator, state: inout AppState,
        until done: (JobStatus) -> Bool
    ) async -> [Effect] {
        for case .submit(let jobs, let limits) in effects {
            for (backend, limit) in limits { await queue.setConcurrency(limit, for: backend) }
            for job in jobs { await queue.submit(job) }
        }
        var asked: [Effect] = []
        while let event = await events.next() {
            asked += Reducer.reduce(&state, .queue(event))
            if case .status(let status) = event, done(status) { break }
        }
        return asked
    }

    func image(at path: String) throws -> RGBImage {
        try ImageDecoder.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    /// 10·log10(255²/MSE) over 8-bit RGB, as skimage's peak_signal_noise_ratio computes it.
    func independentPSNR(_ a: RGBImage, _ b: RGBImage) -> Double {
        var squares = 0.0
        for index in a.pixels.indices {
            let difference = Double(a.pixels[index]) - Double(b.pixels[index])
            squares += difference * difference
        }
        return 10 * log10(255 * 255 / (squares / Double(a.pixels.count)))
    }

    @Test func theOpenDialogListsImagesBesideLatents() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        for name in ["a.png", "b.JPG", "c.jpeg", "d.safetensors", "notes.txt", "e.gif"] {
            try Data([0]).write(to: root.appendingPathComponent(name))
        }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let listed = EffectRunner.list(root.path)
        #expect(listed.first == FileDialog.Entry(name: "sub", isDirectory: true))
        #expect(Set(listed.dropFirst().map(\.name)) == ["a.png", "b.JPG", "c.jpeg", "d.safetensors"])
        // A watched folder takes latents only: the workbench writes pictures of its own.
        #expect(EffectRunner.list(root.path, extensions: FileDialog.latentExtensions).map(\.name) == ["sub", "d.safetensors"])
    }

    /// The whole round trip on this machine's full engine with tiny_kl4's weights: a broken file is
    /// one sentence while the good one encodes; its latent is diffusers' (the fixture), listed with
    /// the image as thumbnail, decoded back on the same engine, and `m` compares it with the original
    /// at the PSNR computed independently here.
    @Test func anOpenedImageIsEncodedListedDecodedAndCompared() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let spec = try tinyKL4(in: root)
        let picture = try gradient(in: root)
        let broken = root.appendingPathComponent("broken.png")
        let bytes = try Data(contentsOf: picture)
        try bytes.prefix(bytes.count - 40).write(to: broken)
        var state = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local(spec))
        #expect(state.selectedPreset?.id == "sd15")
        let queue = queue(root)
        var events = await queue.events().makeAsyncIterator()

        let opened = EffectRunner.open([broken.path, picture.path], presets: state.presets)
        let effects = Reducer.reduce(&state, opened)
        #expect(
            state.status?.text.hasPrefix("broken.png cannot be encoded: the PNG is cut short or corrupt") == true,
            "\(state.status?.text ?? "")")
        #expect(state.status?.kind == .error)
        guard case .submit(let jobs, _) = effects.first, effects.count == 1 else {
            Issue.record("one submit expected, got \(effects)")
            return
        }
        #expect(jobs.map(\.kind) == [.encode] && jobs.map(\.backend) == [.local(spec)] && jobs.map(\.name) == ["image_gradient"])
        #expect(state.recentFiles.first == picture.path)

        let afterEncode = await run(effects, on: queue, events: &events, state: &state) { $0.kind == .encode && $0.state.isFinished }
        let encode = try #require(state.jobs.first { $0.kind == .encode })
        #expect(encode.state == .done, "\(encode.error ?? "")")
        #expect(encode.engine == "full")
        // The latent on disk: diffusion space as `latentty encode` writes it, naming the image.
        let latentPath = try #require(encode.outputs.first { $0.hasSuffix(".safetensors") })
        let file = try LatentFile.read(contentsOf: URL(fileURLWithPath: latentPath))
        #expect(file.metadata["latentty.source"] == picture.path)
        #expect(file.metadata["latentty.preset"] == "sd15" && file.metadata["latentty.space"] == "diffusion")
        let written = try file.latent().tensor
        let archive = try SafetensorsArchive(contentsOf: Self.fixtures.appendingPathComponent("encode/encode_cases.safetensors"))
        let reference = archive.tensor(for: try #require(archive.entries.first { $0.name == "remote_tiny_kl4_gradient" }))
        #expect(written.shape == reference.shape)
        let error = zip(written.floatValues(), reference.floatValues()).map { abs($0 - $1) }.max() ?? .infinity
        #expect(error <= 1e-4, "max |Δ| \(error)")

        // The finished encode asks for its latent; it is listed with the image as its thumbnail.
        #expect(afterEncode == [.openEncoded(encode, presets: state.presets)])
        let encoded = EffectRunner.encodedSource(of: encode, presets: state.presets)
        let decodeEffects = Reducer.reduce(&state, encoded)
        let source = try #require(state.selectedSource)
        let original = try image(at: picture.path)
        #expect(source.name == "image_gradient" && source.source.encodedBy == encode.id && source.tensor == written)
        #expect(source.picture == ImageFitting.resize(original, width: 12, height: 8))
        guard case .submit(let decodes, _) = decodeEffects.first else {
            Issue.record("the latent should be decoded at once, got \(decodeEffects)")
            return
        }
        #expect(decodes.map(\.kind) == [.decode] && decodes.map(\.backend) == [.local(spec)])

        _ = await run(decodeEffects, on: queue, events: &events, state: &state) { $0.kind == .decode && $0.state.isFinished }
        let decode = try #require(state.jobs.first { $0.kind == .decode })
        #expect(decode.state == .done && decode.engine == "full" && decode.encodedBy == encode.id, "\(decode.error ?? "")")
        let decodedPath = try #require(decode.outputs.first { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") })
        let decoded = try image(at: decodedPath)
        #expect(decoded.width == original.width && decoded.height == original.height)

        // The selection followed the encode to its decode; m on it, nothing marked: the original beside it.
        #expect(state.selectedJob?.id == decode.id)
        _ = Reducer.reduce(&state, .command(.compare))
        #expect(state.comparison == Comparison(left: encode.id, right: decode.id))
        // The PSNR the preview shows for that pair, against an independent computation.
        let previews = PreviewStore()
        for job in [encode, decode] {
            await withCheckedContinuation { done in previews.load(job.id, outputs: job.outputs) { done.resume() } }
        }
        #expect(previews.frames(encode.id)?.images == [original])
        let key = PreviewStore.EncodingKey(jobID: encode.id, compareWith: decode.id, frame: 0, columns: 40, rows: 10)
        await withCheckedContinuation { done in
            previews.encode(key, backend: HalfBlockBackend(target: GraphicsTarget(graphics: .blocks)), done: { done.resume() })
        }
        let psnr = try #require(previews.psnr(of: encode.id, against: decode.id))
        #expect(abs(psnr - independentPSNR(original, decoded)) < 1e-9)
        #expect(psnr.isFinite && psnr > 0)
    }

    /// Remote: the image goes to the preset's encode endpoint as diffusers sends it, the latent is
    /// what that server's encoder gives, and its decode goes to the preset's decode endpoint.
    @Test func remoteEncodeGoesToTheEncodeEndpointAndDecodesBack() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let pixels = try RGBImage(width: 16, height: 24, pixels: (0..<16 * 24 * 3).map { UInt8(($0 * 37) % 256) })
        let png = try PNGCodec.encode(pixels)
        let path = root.appendingPathComponent("photo.png")
        try Data(png).write(to: path)
        let log = AccessLog()
        try await withLoopbackServer(log: log, encoder: PoolingEncoder()) { url in
            var presets = Preset.builtins
            presets[0].endpoints = [url]
            presets[0].encodeEndpoints = [url + "encode"]
            var state = AppState(columns: 100, rows: 30, presets: presets, backend: .remote)
            let queue = queue(root)
            var events = await queue.events().makeAsyncIterator()
            let effects = Reducer.reduce(&state, EffectRunner.open([path.path], presets: presets))
            let asked = await run(effects, on: queue, events: &events, state: &state) { $0.kind == .encode && $0.state.isFinished }
            let encode = try #require(state.jobs.first)
            #expect(encode.state == .done && encode.backend == .remote(endpoints: [url + "encode"]), "\(encode.error ?? "")")
            #expect(encode.endpoint == url + "encode")
            // What the server saw: one encode, with the preset's scaling factor, and the image's pixels.
            #expect(log.posts.count == 1 && log.posts[0].contains("/encode?scaling_factor=0.18215"), "\(log.posts)")
            let latentPath = try #require(encode.outputs.first { $0.hasSuffix(".safetensors") })
            let expected = Preset.sd15.toDiffusionSpace(try PoolingEncoder().encode(EncoderInput.tensor(from: pixels), preset: .sd15).mean)
            #expect(try LatentFile.read(contentsOf: URL(fileURLWithPath: latentPath)).latent().tensor == expected)

            guard case .openEncoded(let finished, _) = asked.first else {
                Issue.record("the finished encode should be opened, got \(asked)")
                return
            }
            let decodeEffects = Reducer.reduce(&state, EffectRunner.encodedSource(of: finished, presets: presets))
            _ = await run(decodeEffects, on: queue, events: &events, state: &state) { $0.kind == .decode && $0.state.isFinished }
            let decode = try #require(state.jobs.first { $0.kind == .decode })
            #expect(decode.state == .done && decode.backend == .remote(endpoints: [url]), "\(decode.error ?? "")")
            #expect(log.posts.count == 2 && log.posts[1].contains("shape=1&shape=4&shape=3&shape=2"), "\(log.posts)")
        }
    }

    /// Cancelling an encode job that is running stops it: it is journaled as cancelled and nothing is written.
    @Test func anEncodeJobCanBeCancelled() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let spec = LocalEngineSpec(engine: .full, weights: "/held")
        let held = HeldBackend(identity: .local(spec))
        let queue = queue(root, registry: BackendRegistry(fixed: [held]))
        var state = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local(spec))
        var events = await queue.events().makeAsyncIterator()
        let effects = Reducer.reduce(&state, EffectRunner.open([try gradient(in: root).path], presets: state.presets))
        _ = await run(effects, on: queue, events: &events, state: &state) { $0.state == .decoding }
        #expect(JobText.stateLabel(state.jobs[0].state, kind: state.jobs[0].kind) == "⚙ encoding   ")
        state.focus = .jobs
        #expect(DetailsText.lines(for: state).first?.text.hasPrefix("encode image_gradient · encoding · this machine") == true)
        for effect in Reducer.reduce(&state, .command(.cancel)) {
            guard case .cancel(let id) = effect else { continue }
            await queue.cancel(id)
        }
        _ = await run([], on: queue, events: &events, state: &state) { $0.state.isFinished }
        #expect(state.jobs.map(\.state) == [.cancelled])
        let journaled = JobJournal(directory: root.appendingPathComponent("journal")).load().entries
        #expect(journaled.map(\.status.state) == [.cancelled] && journaled.map(\.job.kind) == [.encode])
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out").path))
    }

    /// After a restart, a finished encode comes back as history and an unfinished one runs again —
    /// from the journal's copy of the image, though the file it was opened from is gone.
    @Test func encodeJobsComeBackFromTheJournal() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let spec = try tinyKL4(in: root)
        let picture = try gradient(in: root)
        let image = try SourceImage.read(picture.path)
        let first = queue(root)
        let finished = DecodeJob(encoding: image, preset: .sd15, backend: .local(spec))
        await first.submit(finished)
        await first.waitUntilIdle()
        let before = try #require(await first.status(of: finished.id))
        #expect(before.state == .done)
        // The second was queued when the workbench was killed: its record and image are all there is.
        let unfinished = DecodeJob(encoding: image, preset: .sd15, backend: .local(spec))
        try JobJournal(directory: root.appendingPathComponent("journal")).record(unfinished)
        try FileManager.default.removeItem(at: picture)

        let second = queue(root)
        #expect(await second.restoreJournal() == 0)
        await second.waitUntilIdle()
        let restored = await second.allStatuses
        #expect(restored.map(\.id) == [finished.id, unfinished.id])
        #expect(restored.map(\.kind) == [.encode, .encode])
        #expect(restored[0].state == .done && restored[0].outputs == before.outputs)
        #expect(await second.job(finished.id) == finished)
        #expect(restored[1].state == .done, "\(restored[1].error ?? "")")
        let latents = try restored.map { status in
            try LatentFile.read(contentsOf: URL(fileURLWithPath: try #require(status.outputs.first { $0.hasSuffix(".safetensors") })))
                .latent().tensor
        }
        #expect(latents[0] == latents[1])
    }

    /// latent2rgb cannot encode: the job fails saying so and what to do, and R offers the preset's encode endpoint.
    @Test func latent2rgbSaysItCannotEncode() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        var state = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local(.approx))
        let queue = queue(root)
        var events = await queue.events().makeAsyncIterator()
        let effects = Reducer.reduce(&state, EffectRunner.open([try gradient(in: root).path], presets: state.presets))
        _ = await run(effects, on: queue, events: &events, state: &state) { $0.state.isFinished }
        let job = try #require(state.jobs.first)
        #expect(job.state == .failed && job.failure?.remedy == .otherBackend)
        #expect(job.error?.hasPrefix("latent2rgb (the approx engine) only decodes, so it cannot encode image_gradient: press R") == true)
        #expect(state.status?.text.contains("only decodes") == true)
        #expect(
            Reducer.reduce(&state, .command(.sendElsewhere)) == [
                .resubmit(job.id, to: .remote(endpoints: Preset.sd15.encodeEndpoints), concurrency: Preset.sd15.concurrency)
            ])
    }

    /// Opened images need an image preset, and on remote an encode endpoint: otherwise one sentence, no jobs.
    @Test func imagesNeedAnImagePresetAndSomewhereToEncode() throws {
        let pixels = try RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 200, count: 8 * 8 * 3))
        let image = try SourceImage(path: "/pictures/cat.png", bytes: try PNGCodec.encode(pixels))
        var video = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local(LocalEngineSpec(engine: .full)))
        video.presetIndex = try #require(Preset.builtins.firstIndex { $0.isVideo })
        #expect(Reducer.reduce(&video, .loaded([], images: [image], errors: [])).isEmpty)
        #expect(video.status?.text == "images are encoded for the selected preset: select an image preset (sd15, sdxl, flux) in Presets")
        var presets = Preset.builtins
        presets[0].encodeEndpoints = []
        var remote = AppState(columns: 100, rows: 30, presets: presets, backend: .remote)
        #expect(Reducer.reduce(&remote, .loaded([], images: [image], errors: [])).isEmpty)
        #expect(
            remote.status?.text
                == "SD v1.5 has no encode endpoint: set encode_endpoint for it in config.toml, or press b to encode on this machine")
    }

    /// Files that cannot be encoded are refused in one sentence each that names them; grey, palette,
    /// alpha and CMYK images are converted to RGB as PIL's convert("RGB") does.
    @Test func badImagesAreOneSentenceEach() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = root.appendingPathComponent("notes.png")
        try Data("not a picture".utf8).write(to: text)
        let small = root.appendingPathComponent("small.png")
        try Data(try PNGCodec.encode(try RGBImage(width: 4, height: 12, pixels: [UInt8](repeating: 9, count: 4 * 12 * 3)))).write(to: small)
        let missing = root.appendingPathComponent("gone.jpg")
        let half = root.appendingPathComponent("half.jpg")
        let jpeg = try JPEGCodec.encode(try RGBImage(width: 64, height: 64, pixels: (0..<64 * 64 * 3).map { UInt8($0 % 253) }))
        try Data(jpeg.prefix(jpeg.count / 2)).write(to: half)
        guard
            case .loaded(let latents, let images, let errors) = EffectRunner.open(
                [text.path, small.path, missing.path, half.path], presets: Preset.builtins)
        else {
            Issue.record("a load answer expected")
            return
        }
        #expect(latents.isEmpty && images.isEmpty)
        #expect(errors.count == 4)
        #expect(errors[0] == "notes.png is not a PNG or JPEG image")
        #expect(errors[1] == "small.png cannot be encoded: the image is 4×12; the encoder needs sides of at least 8 pixels")
        #expect(errors[2].contains(missing.path))
        #expect(errors[3].hasPrefix("half.jpg cannot be encoded: the JPEG is cut short or corrupt"), "\(errors[3])")
        let encode = Self.fixtures.appendingPathComponent("encode")
        for (input, expected) in [
            ("mode_L.png", "mode_L_rgb.png"), ("mode_LA.png", "mode_LA_rgb.png"), ("mode_P.png", "mode_P_rgb.png"),
            ("mode_RGBA.png", "mode_RGBA_rgb.png"), ("mode_CMYK.jpg", "mode_CMYK_jpg_rgb.png"), ("mode_L.jpg", "mode_L_jpg_rgb.png"),
        ] {
            let converted = try SourceImage.read(encode.appendingPathComponent(input).path)
            #expect(converted.image == (try image(at: encode.appendingPathComponent(expected).path)), "\(input)")
        }
    }

    /// A backend that starts every job and holds it until the job is cancelled.
    final class HeldBackend: DecodeBackend {
        let identity: BackendIdentity
        let concurrency = 1
        private let never = AsyncStream<Void>.makeStream()

        init(identity: BackendIdentity) { self.identity = identity }

        func run(_ job: DecodeJob, report: @escaping @Sendable (BackendUpdate) -> Void) async throws(JobFailure) -> DecodeResult {
            report(.state(.decoding))
            // Ends when the job's task is cancelled: nothing is ever sent on it.
            for await _ in never.stream {}
            throw .endpoint("cancelled", retryable: true)
        }
    }
}

/// An image the encoder refuses as it is (too large untiled for the memory free; the engine's own
/// check, tested in EncoderTests) is the input's to fix: an image failure with its own remedy line.
@Suite struct EncodeMemoryTests {
    @Test func anImageTheEncoderRefusesIsAnImageFailureWithItsRemedy() throws {
        let reason = "untiled, this 30000×20000 image needs about 22 GB and 8 GB are free; encode with --tile on (or auto)"
        let failure = JobFailure(EngineError.unsupportedImage(engine: "full", reason: reason))
        #expect(failure == .invalidImage("the full encoder cannot take this image: \(reason)"))
        #expect(failure.remedy == .fixInput)
        let state = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local(.approx))
        #expect(remedy(for: failure, state: state) == "open a smaller image, or R sends it to the preset's encode endpoint")
        #expect(JobFailure(EngineError.encodeFailed(engine: "full", reason: "x")) == .engine("the full encoder failed: x"))
    }
}
