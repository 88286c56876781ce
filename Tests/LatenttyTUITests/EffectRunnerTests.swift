import Foundation
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import NativeVAE
@testable import Workbench

/// The background side of the workbench: what effects do on disk and in the queue.
@Suite struct EffectRunnerTests {
    func makeRunner(_ root: URL) -> (EffectRunner, DecodeQueue, Inbox) {
        let queue = DecodeQueue(
            backends: [LocalBackend(engine: Latent2RGBEngine())], writer: OutputWriter(directory: root.appendingPathComponent("out")),
            journal: JobJournal(directory: root.appendingPathComponent("journal")))
        let inbox = Inbox()
        let runner = EffectRunner(
            queue: queue, inbox: inbox,
            configFile: root.appendingPathComponent("config.toml"), settings: Settings(fileNamePattern: "{preset}_{name}_{seed}"),
            exportDirectory: root.appendingPathComponent("saved"))
        return (runner, queue, inbox)
    }

    /// Drains the inbox until `match` finds what it wants; the deadline only bounds a failure.
    func waitForAction<T>(_ inbox: Inbox, timeout: Double = 20, _ match: (Action) -> T?) -> T? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            for action in inbox.drain() { if let found = match(action) { return found } }
            usleep(20_000)
        }
        return nil
    }

    @Test func aWatchedFolderDecodesWhatAppears() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-watch-\(UUID().uuidString)")
        let folder = root.appendingPathComponent("drop")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (runner, queue, inbox) = makeRunner(root)
        var state = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local(.approx))
        runner.perform(.watch(folder: folder.path, presets: state.presets))
        var generator = TorchGenerator(seed: 5)
        try LatentWriter.write(try generator.randn(shape: [1, 4, 8, 8]), to: folder.appendingPathComponent("new.safetensors"))
        let arrived = try #require(
            waitForAction(inbox) { action -> Action? in
                if case .arrived(let latents, _) = action, !latents.isEmpty { return action }
                return nil
            })
        // The reducer decides to queue what arrived, as for a key press.
        let effects = Reducer.reduce(&state, arrived)
        #expect(state.sources.map(\.name) == ["new"])
        for effect in effects { runner.perform(effect) }
        var events = await queue.events().makeAsyncIterator()
        while let event = await events.next() {
            if case .status(let status) = event, status.state.isFinished {
                #expect(status.state == .done)
                #expect(status.outputs.contains { $0.hasSuffix("new.jpg") })
                break
            }
        }
    }

    @Test func exportCopiesResultsUnderThePattern() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let image = root.appendingPathComponent("a.png")
        try Data([1, 2, 3]).write(to: image)
        var job = JobStatus(id: UUID(), name: "a", presetID: "sd15", seed: 13, backend: .local(.approx), state: .done, queuedAt: Date())
        job.outputs = [image.path, root.appendingPathComponent("a.json").path]
        let settings = Settings(fileNamePattern: "{preset}_{name}_{seed}")
        let saved = root.appendingPathComponent("saved")
        let first = EffectRunner.export(job, settings: settings, directory: saved)
        let second = EffectRunner.export(job, settings: settings, directory: saved)
        #expect(first == StatusMessage("saved \(saved.path)/sd15_a_13.png", .success))
        #expect(second == StatusMessage("saved \(saved.path)/sd15_a_13-2.png", .success))
        #expect(try Data(contentsOf: saved.appendingPathComponent("sd15_a_13.png")) == Data([1, 2, 3]))
    }

    @Test func loadingReportsEachBadFileInWords() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let bad = root.appendingPathComponent("bad.safetensors")
        try Data(repeating: 0xFF, count: 40).write(to: bad)
        var generator = TorchGenerator(seed: 1)
        let good = root.appendingPathComponent("good.npy")
        try LatentWriter.write(try generator.randn(shape: [1, 16, 4, 4]), to: good)
        let (latents, errors) = EffectRunner.load(
            [bad.path, good.path, root.appendingPathComponent("missing.pt").path], presets: Preset.builtins, preferred: nil)
        #expect(latents.map(\.presetID) == ["flux"])
        #expect(latents.first?.report?.suggestedPresets == ["flux"])
        #expect(!(latents.first?.thumbnail.isEmpty ?? true))
        // A video latent's thumbnail is its first frame, fitted to the 32×10 cells.
        let video = root.appendingPathComponent("clip.safetensors")
        try LatentWriter.write(try generator.randn(shape: [1, 16, 5, 6, 8]), to: video, metadata: ["latentty.preset": "hunyuanvideo"])
        let loadedClip = EffectRunner.load([video.path], presets: Preset.builtins, preferred: nil)
        #expect(loadedClip.1.isEmpty, "\(loadedClip.1)")
        let clip = loadedClip.0.first
        #expect(clip?.presetID == "hunyuanvideo")
        #expect(clip?.thumbnail.count == 10 && clip?.thumbnail.first?.count == 26)
        #expect(errors.count == 2)
        #expect(errors[0].hasPrefix("bad.safetensors: "))
        #expect(errors[1].hasPrefix("missing.pt: cannot read"))
    }
}
