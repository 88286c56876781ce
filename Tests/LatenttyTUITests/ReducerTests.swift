import Foundation
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import RemoteDecode
@testable import Workbench

/// Every interaction as state + action → state + effects, no terminal needed.
@Suite struct ReducerTests {
    func state(backend: BackendChoice = .local) -> AppState {
        AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: backend)
    }

    func latent(_ name: String = "a") throws -> LoadedLatent {
        var generator = TorchGenerator(seed: 1)
        return LoadedLatent(
            name: name, source: JobSource(path: "/x/\(name).safetensors"), tensor: try generator.randn(shape: [1, 4, 8, 8]),
            space: .diffusion, presetID: "sd15")
    }

    func status(_ name: String, _ state: JobState, backend: String = "local") -> JobStatus {
        var status = JobStatus(id: UUID(), name: name, backendID: backend, state: state, queuedAt: Date())
        if state == .done { status.outputs = ["/out/\(name).png", "/out/\(name).json"] }
        return status
    }

    @discardableResult
    func run(_ state: inout AppState, _ actions: Action...) -> [Effect] {
        actions.flatMap { Reducer.reduce(&state, $0) }
    }

    @Test func panesCycleAndMoveWithHJKL() {
        var s = state()
        #expect(s.focus == .sources)
        run(&s, .command(.nextPane))
        #expect(s.focus == .jobs)
        run(&s, .command(.nextPane), .command(.nextPane))
        #expect(s.focus == .presets)
        run(&s, .command(.previousPane))
        #expect(s.focus == .preview)
        run(&s, .command(.left))
        #expect(s.focus == .sources)
        run(&s, .command(.right))
        #expect(s.focus == .preview)
        s.focus = .presets
        run(&s, .command(.down), .command(.down), .command(.down), .command(.down), .command(.down))
        #expect(s.presetIndex == 3 && s.selectedPreset?.id == "hunyuanvideo")
        run(&s, .command(.pageUp))
        #expect(s.presetIndex == 0)
    }

    @Test func decodingSelectedOrMarkedLatents() throws {
        var s = state()
        #expect(run(&s, .command(.decode)).isEmpty)
        #expect(s.status?.kind == .warning)
        let a = try latent("a")
        let b = try latent("b")
        let c = try latent("c")
        run(&s, .loaded([a, b, c], errors: []))
        #expect(s.sources.count == 3 && s.status?.text == "loaded 3 latents")
        #expect(run(&s, .command(.activate)) == [.submit(sources: [a.id])])
        run(&s, .command(.down), .command(.toggleSelect), .command(.down), .command(.toggleSelect))
        #expect(run(&s, .command(.decode)) == [.submit(sources: [b.id, c.id])])
        #expect(s.selectedSources.isEmpty)
        #expect(run(&s, .command(.decodeAll)) == [.submit(sources: [a.id, b.id, c.id])])
    }

    @Test func remoteWithoutEndpointExplainsInsteadOfSubmitting() throws {
        var s = state(backend: .remote)
        s.presets[0].endpoints = []
        run(&s, .loaded([try latent()], errors: []))
        #expect(run(&s, .command(.decode)).isEmpty)
        #expect(s.status?.text.contains("has no endpoint") == true)
        run(&s, .command(.toggleBackend))
        #expect(s.backend == .local)
        #expect(run(&s, .command(.decode)).count == 1)
    }

    @Test func loadErrorsAreShownInWords() {
        var s = state()
        run(&s, .loaded([], errors: ["bad.pt: refusing to load", "x.npy: truncated"]))
        #expect(s.status == StatusMessage("bad.pt: refusing to load (and 1 more)", .error))
    }

    @Test func queueEventsKeepTheJobListAndAnnounceResults() {
        var s = state()
        var job = status("a", .queued)
        run(&s, .queue(.status(job)))
        job.state = .uploading
        run(&s, .queue(.status(job)))
        #expect(s.jobs.count == 1 && s.jobs[0].state == .uploading)
        job.state = .done
        job.outputs = ["/out/a.png", "/out/a.json"]
        run(&s, .queue(.status(job)))
        #expect(s.status == StatusMessage("a done → /out/a.png", .success))
        var failing = status("b", .queued)
        run(&s, .queue(.status(failing)))
        failing.state = .failed
        failing.error = "HTTP 503"
        run(&s, .queue(.status(failing)))
        #expect(s.status?.kind == .error && s.status?.text == "b failed: HTTP 503")
        run(&s, .queue(.order([failing.id, job.id])))
        #expect(s.jobs.map(\.name) == ["b", "a"])
        run(&s, .queue(.removed([job.id])))
        #expect(s.jobs.map(\.name) == ["b"])
    }

    @Test func jobCommandsProduceQueueEffects() {
        var s = state()
        let running = status("r", .downloading)
        let done = status("d", .done)
        let remote = status("x", .done, backend: "remote:sd15")
        run(&s, .queue(.status(running)), .queue(.status(done)), .queue(.status(remote)))
        s.focus = .jobs
        #expect(run(&s, .command(.cancel)) == [.cancel(running.id)])
        #expect(run(&s, .command(.retry)).isEmpty)
        run(&s, .command(.down))
        #expect(run(&s, .command(.retry)) == [.resubmit(done.id, toLocal: true)])
        #expect(run(&s, .command(.sendElsewhere)) == [.resubmit(done.id, toLocal: false)])
        #expect(run(&s, .command(.save)) == [.export(done.id)])
        #expect(run(&s, .command(.moveEarlier)) == [.move(done.id, by: -1)])
        #expect(s.jobIndex == 0)
        #expect(run(&s, .command(.clearFinished)) == [.clearFinished])
        s.jobIndex = 2
        #expect(run(&s, .command(.sendElsewhere)) == [.resubmit(remote.id, toLocal: true)])
    }

    @Test func quitAsksWhileJobsRun() {
        var s = state()
        run(&s, .queue(.status(status("r", .uploading))))
        #expect(run(&s, .command(.quit)).isEmpty)
        #expect(s.overlay == .confirmQuit && !s.shouldQuit)
        run(&s, .command(.back))
        #expect(s.overlay == nil)
        run(&s, .command(.quit))
        #expect(run(&s, .command(.activate)) == [.quit])
        #expect(s.shouldQuit)
        var idle = state()
        #expect(run(&idle, .command(.quit)) == [.quit])
    }

    @Test func helpOverlayOpensAndCloses() {
        var s = state()
        run(&s, .command(.help))
        #expect(s.overlay == .help(scroll: 0))
        run(&s, .command(.help))
        #expect(s.overlay == nil)
        run(&s, .command(.help), .click(column: 5, row: 5))
        #expect(s.overlay == nil)
    }

    @Test func filterNarrowsTheJobs() {
        var s = state()
        run(&s, .queue(.status(status("cat", .done))), .queue(.status(status("dog", .done))), .queue(.status(status("catfish", .done))))
        s.focus = .jobs
        run(&s, .command(.filter), .text("c"), .text("a"))
        #expect(s.visibleJobs.map(\.name) == ["cat", "catfish"])
        run(&s, .backspace, .backspace, .text("d"), .command(.activate))
        #expect(s.overlay == nil && s.jobFilter == "d" && s.visibleJobs.map(\.name) == ["dog"])
    }

    @Test func generateDialogValidatesAndRequests() {
        var s = state()
        #expect(run(&s, .command(.generate)).isEmpty)
        guard case .generate(let form) = s.overlay else {
            Issue.record("generate dialog expected")
            return
        }
        #expect(form.focus == .size && form.size.text == "512x512")
        // preset field: → moves to SDXL, which brings its 1024x1024; seed 7; count 2; dtype ← to float32.
        run(&s, .command(.previousPane), .command(.right), .command(.nextPane))
        run(
            &s, .command(.nextPane), .command(.nextPane), .backspace, .text("7"), .command(.nextPane), .backspace, .text("2"),
            .command(.nextPane), .command(.left))
        let effects = run(&s, .command(.activate))
        #expect(
            effects == [
                .generate(GenerateRequest(presetID: "sdxl", width: 1024, height: 1024, frames: nil, seed: 7, count: 2, dtype: .float32))
            ])
        #expect(s.overlay == nil)
        run(&s, .command(.generate), .backspace, .text("1"), .command(.activate))
        #expect(s.status?.kind == .error && s.status?.text.contains("multiple of 8") == true)
    }

    @Test func fileDialogCompletesSelectsAndOpens() {
        var s = state()
        s.browseDirectory = "/data"
        #expect(run(&s, .command(.open)) == [.list(directory: "/data")])
        let entries = [
            FileDialog.Entry(name: "latents", isDirectory: true), FileDialog.Entry(name: "sd_a.safetensors", isDirectory: false),
            FileDialog.Entry(name: "sd_b.safetensors", isDirectory: false), FileDialog.Entry(name: "x.npy", isDirectory: false),
        ]
        run(&s, .listed(directory: "/data", entries: entries))
        run(&s, .text("s"))
        guard case .open(let dialog) = s.overlay else {
            Issue.record("dialog expected")
            return
        }
        #expect(dialog.visible.map(\.name) == ["sd_a.safetensors", "sd_b.safetensors"])
        run(&s, .command(.nextPane))
        guard case .open(let completed) = s.overlay else { return }
        #expect(completed.path == "/data/sd_")
        // Space selects, ↓ moves, space again, Enter opens both.
        run(&s, .text(" "), .command(.down), .text(" "))
        #expect(run(&s, .command(.activate)) == [.load(paths: ["/data/sd_a.safetensors", "/data/sd_b.safetensors"])])
        // Completing a lone directory descends into it.
        run(&s, .command(.open), .listed(directory: "/data", entries: entries), .text("l"))
        #expect(run(&s, .command(.nextPane)) == [.list(directory: "/data/latents")])
        #expect(run(&s, .command(.back)).isEmpty && s.overlay == nil)
    }

    @Test func presetFormEditsAndSaves() {
        var s = state()
        s.focus = .presets
        run(&s, .command(.editPreset))
        guard case .presetForm(let form) = s.overlay else {
            Issue.record("preset form expected")
            return
        }
        #expect(form.endpoint.text == Preset.sd15.endpoints[0])
        for _ in 0..<form.endpoint.text.count { run(&s, .backspace) }
        for c in "http://127.0.0.1:8000/" { run(&s, .text(c)) }
        run(&s, .command(.nextPane), .command(.right), .command(.nextPane), .command(.right), .command(.nextPane), .backspace, .text("4"))
        let effects = run(&s, .command(.activate))
        guard case .savePreset(let saved)? = effects.first else {
            Issue.record("save expected, got \(effects)")
            return
        }
        #expect(saved.outputType == .pt && saved.imageFormat == .png && saved.concurrency.text == "4")
        #expect(s.presets[0].endpoints == ["http://127.0.0.1:8000/"] && s.concurrency["sd15"] == 4)
        run(&s, .command(.editPreset))
        for c in "x" { run(&s, .text(c)) }
        #expect(run(&s, .command(.nextPane), .command(.nextPane), .command(.nextPane), .backspace, .command(.activate)).isEmpty)
        #expect(s.status?.text == "concurrency must be 1…64")
    }

    @Test func compareMarksTwoResults() {
        var s = state()
        let a = status("a", .done)
        let b = status("b", .done)
        run(&s, .queue(.status(a)), .queue(.status(b)))
        s.focus = .jobs
        run(&s, .command(.compare))
        #expect(s.compareMark == a.id)
        run(&s, .command(.down), .command(.compare))
        #expect(s.focus == .preview && s.compareMark == a.id && s.selectedJob?.id == b.id)
    }

    @Test func playbackStepsAndPlays() {
        var s = state()
        run(&s, .queue(.status(status("clip", .done))))
        s.focus = .preview
        run(&s, .command(.nextFrame), .command(.nextFrame), .command(.previousFrame))
        #expect(s.playback == Playback(frame: 1, playing: false))
        let start = Date(timeIntervalSince1970: 1000)
        run(&s, .command(.playPause), .tick(now: start), .tick(now: start.addingTimeInterval(Playback.frameInterval * 2.5)))
        #expect(s.playback.frame == 3 && s.playback.playing)
        run(&s, .tick(now: start.addingTimeInterval(Playback.frameInterval * 3)))
        #expect(s.playback.frame == 4)
    }

    @Test func mouseSelectsPanesRowsAndButtons() {
        var s = state()
        run(&s, .loaded([try! latent("a"), try! latent("b")], errors: []))
        let layout = s.layout
        run(&s, .click(column: layout.sources.x + 3, row: layout.sources.y + 2))
        #expect(s.focus == .sources && s.sourceIndex == 1)
        run(&s, .click(column: layout.presets.x + 3, row: layout.presets.y + 3))
        #expect(s.focus == .presets && s.presetIndex == 2)
        s.status = nil
        let help = StatusBar.buttons(for: s).first { $0.command == .help }!
        run(&s, .click(column: help.column, row: layout.status.y))
        #expect(s.overlay == .help(scroll: 0))
    }

    @Test func resizeUpdatesTheLayout() {
        var s = state()
        run(&s, .resize(columns: 60, rows: 20))
        #expect(s.layout.isTooSmall)
        run(&s, .resize(columns: 80, rows: 24))
        #expect(!s.layout.isTooSmall)
        let l = s.layout
        #expect(l.presets.width + l.jobs.width == 80)
        #expect(l.status.y == 23 && l.details.y + l.details.height == 23)
        #expect(l.preview.y + l.preview.height <= l.details.y)
    }
}

@Suite struct RecentFilesTests {
    @Test func openedFilesBecomeRecentAndSelectable() throws {
        var s = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local)
        var generator = TorchGenerator(seed: 1)
        let tensor = try generator.randn(shape: [1, 4, 8, 8])
        let a = LoadedLatent(name: "a", source: JobSource(path: "/d/a.npy"), tensor: tensor, space: .diffusion, presetID: "sd15")
        let b = LoadedLatent(name: "b", source: JobSource(path: "/d/b.npy"), tensor: tensor, space: .diffusion, presetID: "sd15")
        _ = Reducer.reduce(&s, .loaded([a], errors: []))
        _ = Reducer.reduce(&s, .loaded([b, a], errors: []))
        #expect(s.recentFiles == ["/d/a.npy", "/d/b.npy"])
        s.sourceIndex = -1
        s.browseDirectory = "/elsewhere"
        _ = Reducer.reduce(&s, .command(.open))
        _ = Reducer.reduce(&s, .listed(directory: "/elsewhere", entries: [FileDialog.Entry(name: "c.pt", isDirectory: false)]))
        guard case .open(let dialog) = s.overlay else {
            Issue.record("dialog expected")
            return
        }
        #expect(dialog.visible.map(\.name) == ["/d/a.npy", "/d/b.npy", "c.pt"])
        _ = Reducer.reduce(&s, .command(.down))
        #expect(Reducer.reduce(&s, .command(.activate)) == [.load(paths: ["/d/b.npy"])])
    }
}
