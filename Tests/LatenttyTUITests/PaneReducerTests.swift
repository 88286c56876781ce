import Foundation
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import RemoteDecode
@testable import Workbench

/// Pane commands as state + action → state + effects, no terminal needed.
@Suite struct PaneReducerTests {
    func state(backend: BackendChoice = .local(.approx)) -> AppState {
        AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: backend)
    }

    func latent(_ name: String = "a") throws -> LoadedLatent {
        var generator = TorchGenerator(seed: 1)
        return LoadedLatent(
            name: name, source: JobSource(path: "/x/\(name).safetensors"), tensor: try generator.randn(shape: [1, 4, 8, 8]),
            space: .diffusion, presetID: "sd15")
    }

    func status(_ name: String, _ state: JobState, backend: BackendIdentity = .local(.approx)) -> JobStatus {
        var status = JobStatus(id: UUID(), name: name, presetID: "sd15", backend: backend, state: state, queuedAt: Date())
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
        #expect(Fixtures.submitted(run(&s, .command(.activate))) == ["a"])
        run(&s, .command(.down), .command(.toggleSelect), .command(.down), .command(.toggleSelect))
        #expect(Fixtures.submitted(run(&s, .command(.decode))) == ["b", "c"])
        #expect(s.selectedSources.isEmpty)
        #expect(Fixtures.submitted(run(&s, .command(.decodeAll))) == ["a", "b", "c"])
    }

    @Test func remoteWithoutEndpointExplainsInsteadOfSubmitting() throws {
        var s = state(backend: .remote)
        s.presets[0].endpoints = []
        run(&s, .loaded([try latent()], errors: []))
        #expect(run(&s, .command(.decode)).isEmpty)
        #expect(s.status?.text.contains("has no endpoint") == true)
        run(&s, .command(.toggleBackend))
        #expect(s.backend == .local(.approx))
        #expect(run(&s, .command(.decode)).count == 1)
    }

    @Test func loadErrorsAreShownInWords() {
        var s = state()
        run(&s, .loaded([], errors: ["bad.pt: refusing to load", "x.npy: truncated"]))
        #expect(s.status == StatusMessage("bad.pt: refusing to load (and 1 more)", .error))
    }

    @Test func jobCommandsProduceQueueEffects() {
        var s = state()
        let running = status("r", .downloading)
        let done = status("d", .done)
        let endpoints = Preset.sd15.endpoints
        let remote = status("x", .done, backend: .remote(endpoints: endpoints))
        run(&s, .queue(.status(running)), .queue(.status(done)), .queue(.status(remote)))
        s.focus = .jobs
        #expect(run(&s, .command(.cancel)) == [.cancel(running.id)])
        #expect(run(&s, .command(.retry)).isEmpty)
        run(&s, .command(.down))
        #expect(run(&s, .command(.retry)) == [.resubmit(done.id, to: .local(.approx), concurrency: nil)])
        #expect(run(&s, .command(.sendElsewhere)) == [.resubmit(done.id, to: .remote(endpoints: endpoints), concurrency: 2)])
        #expect(run(&s, .command(.save)) == [.export(done)])
        #expect(run(&s, .command(.moveEarlier)) == [.move(done.id, by: -1)])
        #expect(s.jobIndex == 0)
        #expect(run(&s, .command(.clearFinished)) == [.clearFinished])
        s.jobIndex = 2
        #expect(run(&s, .command(.sendElsewhere)) == [.resubmit(remote.id, to: .local(.approx), concurrency: nil)])
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

    @Test func filterNarrowsTheJobs() {
        var s = state()
        run(&s, .queue(.status(status("cat", .done))), .queue(.status(status("dog", .done))), .queue(.status(status("catfish", .done))))
        s.focus = .jobs
        run(&s, .command(.filter), .text("c"), .text("a"))
        #expect(s.visibleJobs.map(\.name) == ["cat", "catfish"])
        run(&s, .backspace, .backspace, .text("d"), .command(.activate))
        #expect(s.overlay == nil && s.jobFilter == "d" && s.visibleJobs.map(\.name) == ["dog"])
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
