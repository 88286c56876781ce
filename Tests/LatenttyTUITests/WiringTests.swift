import DecodePipeline
import Foundation
import Hummingbird
import ImageCodecs
import Logging
import ServiceLifecycle
import Synchronization
import TerminalGraphics
import Testing
import Wire

@testable import LatentKit
@testable import LatenttyServer
@testable import LatenttyTUI
@testable import NativeVAE
@testable import RemoteDecode
@testable import Workbench

/// The workbench as wired from its options, driven through the reducer and the effect runner as
/// key presses would, checking what the user gets: which engine made the pixels, where requests went.
@Suite struct WiringTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")

    func options(root: URL, presetID: String? = nil, endpoints: [String] = [], local: Bool = false, engine: PreloadedEngine? = nil)
        -> TUIOptions
    {
        TUIOptions(
            files: [], presetID: presetID, endpoints: endpoints, local: local, decode: false, theme: .plain, graphics: .none,
            catalog: PresetCatalog(presets: Preset.builtins), settings: Settings(), keyMap: .default,
            configFile: root.appendingPathComponent("config.toml"), journalDirectory: root.appendingPathComponent("journal"),
            outputDirectory: root.appendingPathComponent("out"), exportDirectory: root.appendingPathComponent("saved"), useColor: false,
            samplesDirectory: nil, localEngine: engine)
    }

    func latent(_ name: String, preset: Preset, shape: [Int], seed: UInt64 = 7) throws -> LoadedLatent {
        var generator = TorchGenerator(seed: seed)
        return LoadedLatent(
            name: name, source: JobSource(seed: seed), tensor: try generator.randn(shape: shape, dtype: .float16), space: .diffusion,
            presetID: preset.id)
    }

    /// Runs the effects as the app does and waits (through the queue's own events) until `count` jobs have finished.
    func perform(_ effects: [Effect], queue: DecodeQueue, root: URL, count: Int) async -> [JobStatus] {
        let runner = EffectRunner(
            queue: queue, inbox: Inbox(), configFile: root.appendingPathComponent("config.toml"), settings: Settings(),
            exportDirectory: root.appendingPathComponent("saved"))
        let events = await queue.events()
        for effect in effects { runner.perform(effect) }
        var finished: [UUID: JobStatus] = [:]
        for await event in events {
            if case .status(let status) = event, status.state.isFinished { finished[status.id] = status }
            if finished.count == count { break }
        }
        return await queue.allStatuses
    }

    func temporaryRoot() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-wiring-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }

    @Test func theEngineChosenOnTheCommandLineMakesThePixels() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let weights = Self.models.appendingPathComponent("taesd_random.safetensors").path
        let spec = LocalEngineSpec(engine: .tiny, weights: weights)
        let engine = try spec.engine.makeEngine(vae: weights)
        let wiring = WorkbenchWiring(options: options(root: root, engine: PreloadedEngine(spec: spec, engine: engine)))
        var state = wiring.initialState(columns: 100, rows: 30, workingDirectory: "/")
        #expect(state.backend == .local(spec))
        #expect(state.backendChoices == [.local(.approx), .local(spec), .remote])
        let source = try latent("cat", preset: .sd15, shape: [1, 4, 8, 8])
        _ = Reducer.reduce(&state, .loaded([source], errors: []))
        let effects = Reducer.reduce(&state, .command(.decode))
        let queue = wiring.makeQueue()
        let statuses = await perform(effects, queue: queue, root: root, count: 1)
        let status = try #require(statuses.first)
        #expect(status.state == .done && status.engine == "tiny" && status.backend == .local(spec))
        let file = try #require(status.outputs.first { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") })
        let saved = try ImageDecoder.decode(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        // The picture on disk is the tiny decoder's, pixel for pixel; latent2rgb's would differ.
        let job = try #require(await queue.job(status.id))
        func decoded(with engine: any DecodeEngine) throws -> RGBImage {
            guard case .image(_, let bytes) = try LocalDecoder(engine: engine).decode(try job.request(), preset: .sd15).payload else {
                throw JobFailure.engine("not an image")
            }
            return try ImageDecoder.decode(bytes)
        }
        #expect(saved == (try decoded(with: engine)))
        #expect(saved != (try decoded(with: Latent2RGBEngine())))
    }

    @Test func afterBTheNextDecodeRunsOnTheChosenEngine() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let weights = Self.models.appendingPathComponent("taesd_random.safetensors").path
        let spec = LocalEngineSpec(engine: .tiny, weights: weights)
        let tiny = try spec.engine.makeEngine(vae: weights)
        let wiring = WorkbenchWiring(options: options(root: root, engine: PreloadedEngine(spec: spec, engine: tiny)))
        var state = wiring.initialState(columns: 100, rows: 30, workingDirectory: "/")
        _ = Reducer.reduce(&state, .loaded([try latent("cat", preset: .sd15, shape: [1, 4, 8, 8])], errors: []))
        // tiny → remote → latent2rgb
        _ = Reducer.reduce(&state, .command(.toggleBackend))
        _ = Reducer.reduce(&state, .command(.toggleBackend))
        #expect(state.backend == .local(.approx))
        let queue = wiring.makeQueue()
        let statuses = await perform(Reducer.reduce(&state, .command(.decode)), queue: queue, root: root, count: 1)
        let status = try #require(statuses.first)
        #expect(status.state == .done && status.engine == "approx" && status.backend == .local(.approx))
        let file = try #require(status.outputs.first { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") })
        let saved = try ImageDecoder.decode(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        let job = try #require(await queue.job(status.id))
        guard case .image(_, let bytes) = try LocalDecoder(engine: Latent2RGBEngine()).decode(try job.request(), preset: .sd15).payload
        else {
            Issue.record("latent2rgb should answer an image")
            return
        }
        #expect(saved == (try ImageDecoder.decode(bytes)))
    }

    @Test func eachJobGoesToItsOwnPresetsEndpoint() async throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let imageLog = AccessLog()
        let videoLog = AccessLog()
        try await withLoopbackServer(log: imageLog) { imageURL in
            try await withLoopbackServer(log: videoLog) { videoURL in
                var presets = Preset.builtins
                presets[0].endpoints = [imageURL]
                presets[3].endpoints = [videoURL]
                let wiring = WorkbenchWiring(
                    options: TUIOptions(
                        files: [], presetID: "sd15", endpoints: [], local: false, decode: false, theme: .plain, graphics: .none,
                        catalog: PresetCatalog(presets: presets), settings: Settings(), keyMap: .default,
                        configFile: root.appendingPathComponent("config.toml"), journalDirectory: root.appendingPathComponent("journal"),
                        outputDirectory: root.appendingPathComponent("out"), exportDirectory: root.appendingPathComponent("saved"),
                        useColor: false, samplesDirectory: nil))
                var state = wiring.initialState(columns: 100, rows: 30, workingDirectory: "/")
                #expect(state.backend == .remote && state.selectedPreset?.id == "sd15")
                let image = try latent("image", preset: .sd15, shape: [1, 4, 8, 8])
                let video = try latent("video", preset: .hunyuanVideo, shape: [1, 16, 2, 4, 4])
                _ = Reducer.reduce(&state, .loaded([image, video], errors: []))
                let effects = Reducer.reduce(&state, .command(.decodeAll))
                let statuses = await perform(effects, queue: wiring.makeQueue(), root: root, count: 2)
                #expect(statuses.map(\.state) == [.done, .done])
                #expect(statuses.map(\.backend) == [.remote(endpoints: [imageURL]), .remote(endpoints: [videoURL])])
                // What each server saw: only its own preset's latents.
                #expect(imageLog.posts.count == 1 && imageLog.posts.allSatisfy { $0.contains("shape=1&shape=4&shape=8&shape=8") })
                #expect(videoLog.posts.count == 1 && videoLog.posts.allSatisfy { $0.contains("shape=1&shape=16&shape=2&shape=4&shape=4") })
                // The journal recorded each job's own backend.
                let journaled = JobJournal(directory: root.appendingPathComponent("journal")).load().entries
                #expect(journaled.map(\.job.backend) == [.remote(endpoints: [imageURL]), .remote(endpoints: [videoURL])])
            }
        }
    }

    @Test func anEndpointOnTheCommandLineReplacesTheNamedPresetsOrAll() throws {
        let root = try temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let one = WorkbenchWiring(options: options(root: root, presetID: "flux", endpoints: ["http://127.0.0.1:1/"]))
        #expect(one.presets.map(\.endpoints) == Preset.builtins.map { $0.id == "flux" ? ["http://127.0.0.1:1/"] : $0.endpoints })
        #expect(one.initialBackend == .remote)
        let all = WorkbenchWiring(options: options(root: root, endpoints: ["http://127.0.0.1:2/", "http://127.0.0.1:3/"]))
        #expect(all.presets.allSatisfy { $0.endpoints == ["http://127.0.0.1:2/", "http://127.0.0.1:3/"] })
        #expect(WorkbenchWiring(options: options(root: root)).initialBackend == .local(.approx))
        #expect(
            WorkbenchWiring(options: options(root: root, endpoints: ["http://127.0.0.1:2/"], local: true)).initialBackend == .local(.approx)
        )
    }

    @Test func bCyclesThroughWhatIsAvailable() {
        let tiny = BackendChoice.local(LocalEngineSpec(engine: .tiny, weights: "/w"))
        var state = AppState(
            columns: 100, rows: 30, presets: Preset.builtins, backend: .local(.approx),
            backendChoices: AppState.choices(localEngine: tiny, presets: Preset.builtins))
        var seen: [BackendChoice] = []
        for _ in 0..<3 {
            _ = Reducer.reduce(&state, .command(.toggleBackend))
            seen.append(state.backend)
        }
        #expect(seen == [tiny, .remote, .local(.approx)])
        var offline = Preset.builtins
        for index in offline.indices { offline[index].endpoints = [] }
        #expect(AppState.choices(localEngine: .local(.approx), presets: offline) == [.local(.approx)])
        // Weights found in the model cache make their engines choices too, once each.
        let location = VAELocation(weights: URL(fileURLWithPath: "/cache/vae.safetensors"), config: nil)
        let cached = WorkbenchWiring.cachedEngines([
            ModelDiscovery.Availability(preset: "sd15", full: location, tiny: nil),
            ModelDiscovery.Availability(preset: "sdxl", full: location, tiny: nil),
        ])
        #expect(cached == [LocalEngineSpec(engine: .full)])
        _ = Reducer.reduce(&state, .enginesFound(cached + cached))
        #expect(state.backendChoices == [.local(.approx), tiny, .local(LocalEngineSpec(engine: .full)), .remote])
    }
}

/// The picture painter draws through the terminal's backend once a picture is ready, takes it off
/// when the preview changes, and never sends kitty pixels twice.
@Suite struct PicturePainterTests {
    /// A finished job whose outputs are `frames` PNGs, each a different pattern.
    static func job(frames: Int) throws -> JobStatus {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-paint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var job = JobStatus(id: UUID(), name: "a", backend: .local(.approx), state: .done, queuedAt: Date())
        for frame in 0..<frames {
            let image = try RGBImage(width: 16, height: 16, pixels: (0..<(16 * 16 * 3)).map { UInt8(($0 * (frame + 1)) % 251) })
            let file = root.appendingPathComponent("a_\(frame).png")
            try Data(try PNGCodec.encode(image)).write(to: file)
            job.outputs.append(file.path)
        }
        return job
    }

    /// A painter writing into memory, and a way to wait until it has drawn a placement.
    final class Harness: @unchecked Sendable {
        final class Sink: Sendable {
            let bytes = Mutex<[UInt8]>([])
        }
        let sink = Sink()
        let painter: PicturePainter
        private var redraws: AsyncStream<Void>.AsyncIterator

        init(backend: any PictureBackend) {
            let (ready, sink) = AsyncStream<Void>.makeStream()
            redraws = ready.makeAsyncIterator()
            let written = self.sink
            painter = PicturePainter(
                previews: PreviewStore(), backend: backend, redraw: { sink.yield() },
                output: { bytes in written.bytes.withLock { $0 += bytes } })
        }

        /// Retires what no longer matches, then paints until every placement is on screen; returns
        /// the rows curses was asked to repaint and the bytes written.
        func show(_ placements: [ImagePlacement], jobs: [JobStatus], sources: [LoadedLatent] = []) async -> (
            repaint: [Range<Int>], bytes: String
        ) {
            sink.bytes.withLock { $0.removeAll() }
            let repaint = painter.retire(for: placements)
            painter.paint(placements, jobs: jobs, sources: sources)
            while placements.contains(where: { painter.showing(at: $0.rect) != painter.key(for: $0) }) {
                _ = await redraws.next()
                painter.paint(placements, jobs: jobs, sources: sources)
            }
            return (repaint, String(decoding: sink.bytes.withLock { $0 }, as: UTF8.self))
        }

        func show(_ placement: ImagePlacement?, jobs: [JobStatus]) async -> (repaint: [Range<Int>], bytes: String) {
            await show(placement.map { [$0] } ?? [], jobs: jobs)
        }
    }

    @Test func halfBlocksArePaintedAtThePlacementAndTheirRowsRepaintedWhenTheyGo() async throws {
        let job = try Self.job(frames: 1)
        let harness = Harness(backend: HalfBlockBackend(target: GraphicsTarget(graphics: .blocks, truecolor: true)))
        let placement = ImagePlacement(jobID: job.id, compareWith: nil, frame: 0, rect: Rect(x: 10, y: 3, width: 8, height: 4))
        let first = await harness.show(placement, jobs: [job])
        #expect(first.bytes.hasPrefix("\u{1B}7\u{1B}[4;11H\u{1B}[38;2;") && first.bytes.hasSuffix("\u{1B}8"))
        #expect(first.bytes.components(separatedBy: "▀").count - 1 == 8 * 4)
        #expect(await harness.show(placement, jobs: [job]).bytes.isEmpty, "an unchanged preview is not drawn again")
        let gone = await harness.show(nil, jobs: [job])
        #expect(gone.repaint == [3..<7] && gone.bytes.isEmpty)
    }

    @Test func kittyUploadsEachFrameOnceAndSwitchesByPlacement() async throws {
        let job = try Self.job(frames: 2)
        let harness = Harness(backend: KittyBackend(target: GraphicsTarget(graphics: .kitty, cellWidth: 4, cellHeight: 8)))
        func at(frame: Int) -> ImagePlacement {
            ImagePlacement(jobID: job.id, compareWith: nil, frame: frame, rect: Rect(x: 2, y: 1, width: 8, height: 4))
        }
        let first = await harness.show(at(frame: 0), jobs: [job])
        // 16×16 px into 8×4 cells of 4×8 px: scaled to 32×32 and sent at that size.
        #expect(first.bytes.contains("a=t,f=24,s=32,v=32") && first.bytes.contains("a=p,"))
        let firstID = try #require(first.bytes.firstMatch(of: /a=t,f=24,s=32,v=32,i=(\d+)/)?.1)
        let second = await harness.show(at(frame: 1), jobs: [job])
        #expect(second.bytes.contains("a=t,") && second.bytes.contains("a=d,d=i,i=\(firstID),"))
        #expect(second.repaint.isEmpty, "kitty pictures float over the cells; curses has nothing to repaint")
        let again = await harness.show(at(frame: 0), jobs: [job])
        #expect(!again.bytes.contains("a=t"), "the first frame is still in the terminal: placed, not re-sent")
        #expect(again.bytes.contains("a=p,i=\(firstID),"))
        harness.painter.screenCleared(imagesFreed: false)
        #expect(!(await harness.show(at(frame: 0), jobs: [job])).bytes.contains("a=t"), "rows rewritten: the pixels stay")
        harness.painter.screenCleared(imagesFreed: true)
        let resent = await harness.show(at(frame: 0), jobs: [job])
        #expect(resent.bytes.contains("a=t,f=24,s=32,v=32,i=\(firstID),"), "a cleared screen freed them: sent again, same id")
        let overlay = await harness.show(nil, jobs: [job])
        #expect(overlay.bytes == "\u{1B}_Ga=d,d=i,i=\(firstID),q=2\u{1B}\\", "an overlay takes the picture off")
        harness.sink.bytes.withLock { $0.removeAll() }
        harness.painter.releaseAll()
        let released = harness.sink.bytes.withLock { String(decoding: $0, as: UTF8.self) }
        #expect(released == "\u{1B}_Ga=d,d=I,i=\(firstID),q=2\u{1B}\\", "only what the terminal still holds is freed")
    }

    @Test func latentsGetSmallPicturesAndScrollingMovesThemWithoutResending() async throws {
        let job = try Self.job(frames: 1)
        let tensor = try Tensor(values: [Float](repeating: 0, count: 4 * 8 * 8), shape: [1, 4, 8, 8])
        var latent = LoadedLatent(name: "l", source: JobSource(seed: 1), tensor: tensor, space: .diffusion, presetID: "sd15")
        latent.setPicture(try RGBImage(width: 8, height: 8, pixels: (0..<192).map { UInt8($0) }))
        let harness = Harness(backend: KittyBackend(target: GraphicsTarget(graphics: .kitty, cellWidth: 4, cellHeight: 8)))
        let preview = ImagePlacement(jobID: job.id, compareWith: nil, frame: 0, rect: Rect(x: 30, y: 1, width: 8, height: 4))
        func small(row: Int) -> ImagePlacement {
            ImagePlacement(jobID: latent.id, compareWith: nil, frame: 0, rect: Rect(x: 1, y: row, width: 2, height: 1))
        }
        let first = await harness.show([small(row: 2), preview], jobs: [job], sources: [latent])
        #expect(first.bytes.components(separatedBy: "a=t,").count == 3, "the latent's picture and the result each sent once")
        #expect(first.bytes.contains("\u{1B}[3;2H\u{1B}_Ga=p,") && first.bytes.contains("c=2,r=1,C=1"))
        let scrolled = await harness.show([small(row: 3), preview], jobs: [job], sources: [latent])
        #expect(!scrolled.bytes.contains("a=t") && scrolled.bytes.contains("\u{1B}[4;2H\u{1B}_Ga=p,"))
        #expect(scrolled.bytes.components(separatedBy: "a=d,d=i,").count == 2, "only the moved picture is taken off")
    }

    @Test func repaintingRowsRedrawsTheCellPicturesOnThem() async throws {
        let (job, other) = (try Self.job(frames: 1), try Self.job(frames: 2))
        let harness = Harness(backend: HalfBlockBackend(target: GraphicsTarget(graphics: .blocks)))
        let left = ImagePlacement(jobID: job.id, compareWith: nil, frame: 0, rect: Rect(x: 0, y: 2, width: 4, height: 2))
        let right = ImagePlacement(jobID: other.id, compareWith: nil, frame: 0, rect: Rect(x: 10, y: 3, width: 4, height: 4))
        _ = await harness.show([left, right], jobs: [job, other])
        let after = await harness.show([right], jobs: [job, other])
        #expect(Set(after.repaint) == [2..<4, 3..<7], "the right picture shares row 3 with the one that went")
        #expect(after.bytes.contains("\u{1B}[4;11H"), "and is drawn again after the repaint")
    }

    @Test func aPictureThatCannotBeDrawnSaysWhyInTheCaption() async throws {
        let store = PreviewStore()
        let id = UUID()
        store.provide(id, image: try RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 9, count: 48)))
        let (ready, sink) = AsyncStream<Void>.makeStream()
        let key = PreviewStore.EncodingKey(jobID: id, compareWith: nil, frame: 0, columns: 0, rows: 3)
        store.encode(key, backend: KittyBackend(target: GraphicsTarget(graphics: .kitty)), done: { sink.yield() })
        var iterator = ready.makeAsyncIterator()
        _ = await iterator.next()
        #expect(store.drawingFailure(id) == "cannot draw the picture: a picture needs at least one cell, not 0×3")
    }

    @Test func aComparisonDrawsBothSidesInTheirHalves() async throws {
        let (left, right) = (try Self.job(frames: 1), try Self.job(frames: 1))
        let harness = Harness(backend: SixelBackend(target: GraphicsTarget(graphics: .sixel, cellWidth: 4, cellHeight: 6)))
        let placement = ImagePlacement(jobID: left.id, compareWith: right.id, frame: 0, rect: Rect(x: 0, y: 2, width: 21, height: 5))
        let bytes = await harness.show(placement, jobs: [left, right]).bytes
        #expect(bytes.contains("\u{1B}[3;1H\u{1B}P") && bytes.contains("\u{1B}[3;12H\u{1B}P"))
        #expect(harness.painter.previews.psnr(of: left.id, against: right.id)?.isInfinite == true)
    }
}

/// A failed job says what to do next, with the keys that do it.
@Suite struct FailureRemedyTests {
    @Test func eachKindOfFailureOffersItsAction() {
        let state = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local(.approx))
        #expect(remedy(for: .endpoint("HTTP 503", retryable: true), state: state).hasPrefix("r retries"))
        #expect(remedy(for: .backendUnavailable("no weights"), state: state).contains("other backend"))
        #expect(remedy(for: .invalidLatent("wrong channels"), state: state).contains("check the file"))
        #expect(remedy(for: .output("disk full"), state: state).contains("output folder"))
        #expect(JobFailure(RemoteError.exhausted(endpoint: "e", attempts: 4, last: "503")).remedy == .retry)
        #expect(JobFailure(RemoteError.rejected(endpoint: "e", reason: "400")).remedy == .otherBackend)
    }
}

/// Every key press gets an answer: a command, text for a field, or a word on why nothing happened.
@Suite struct KeyActionTests {
    @Test func unboundKeysSaySoAndBoundOnesRunTheirCommand() {
        var state = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local(.approx))
        state.focus = .jobs
        guard case .message(let message)? = KeyActions.action(for: .character("Z"), state: state) else {
            Issue.record("an unbound key should explain itself")
            return
        }
        #expect(message.text == "Z does nothing in the jobs pane · ? lists the keys")
        guard case .command(.help)? = KeyActions.action(for: .character("?"), state: state) else {
            Issue.record("? should open the help")
            return
        }
        state.overlay = .filter(TextField("filter", ""))
        guard case .text("Z")? = KeyActions.action(for: .character("Z"), state: state) else {
            Issue.record("a text field takes the character")
            return
        }
    }
}

/// Inside tmux with passthrough off, the workbench says so at start and P turns it on for the pane.
@Suite struct TmuxPictureOfferTests {
    @Test func theOfferNamesItsKeyAndPRunsItOnce() {
        let blocked = GraphicsReport(
            target: GraphicsTarget(graphics: .blocks), advice: ["tmux blocks pictures"], canEnablePassthrough: true)
        #expect(WorkbenchApp.pictureAdvice(blocked, keys: .default)?.text.contains("press P to let them through") == true)
        let old = GraphicsReport(target: GraphicsTarget(graphics: .blocks), advice: ["upgrade kitty"])
        #expect(WorkbenchApp.pictureAdvice(old, keys: .default)?.text == "upgrade kitty")
        #expect(WorkbenchApp.pictureAdvice(GraphicsReport(target: GraphicsTarget(graphics: .kitty)), keys: .default) == nil)

        var state = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local(.approx))
        #expect(Reducer.reduce(&state, .command(.allowPictures)).isEmpty)
        #expect(state.status?.text.contains("not blocked") == true)
        state.picturesBlockedByTmux = true
        #expect(Reducer.reduce(&state, .command(.allowPictures)) == [.allowTmuxPassthrough])
        #expect(!state.picturesBlockedByTmux && Reducer.reduce(&state, .command(.allowPictures)).isEmpty)
    }
}
