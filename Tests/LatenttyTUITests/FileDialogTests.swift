import Foundation
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import Workbench

/// The open dialog: listing, completion, multi-select and recent files.
@Suite struct FileDialogTests {
    @Test func fileDialogCompletesSelectsAndOpens() {
        var s = Fixtures.state()
        s.browseDirectory = "/data"
        #expect(Fixtures.run(&s, .command(.open)) == [.list(directory: "/data")])
        let entries = [
            FileDialog.Entry(name: "latents", isDirectory: true), FileDialog.Entry(name: "sd_a.safetensors", isDirectory: false),
            FileDialog.Entry(name: "sd_b.safetensors", isDirectory: false), FileDialog.Entry(name: "x.npy", isDirectory: false),
        ]
        Fixtures.run(&s, .listed(directory: "/data", entries: entries))
        Fixtures.run(&s, .text("s"))
        guard case .open(let dialog) = s.overlay else {
            Issue.record("dialog expected")
            return
        }
        #expect(dialog.visible.map(\.name) == ["sd_a.safetensors", "sd_b.safetensors"])
        Fixtures.run(&s, .command(.nextPane))
        guard case .open(let completed) = s.overlay else { return }
        #expect(completed.path == "/data/sd_")
        // Space selects, ↓ moves, space again, Enter opens both.
        Fixtures.run(&s, .text(" "), .command(.down), .text(" "))
        #expect(
            Fixtures.run(&s, .command(.activate)) == [
                .load(paths: ["/data/sd_a.safetensors", "/data/sd_b.safetensors"], presets: s.presets)
            ])
        // Completing a lone directory descends into it.
        Fixtures.run(&s, .command(.open), .listed(directory: "/data", entries: entries), .text("l"))
        #expect(Fixtures.run(&s, .command(.nextPane)) == [.list(directory: "/data/latents")])
        #expect(Fixtures.run(&s, .command(.back)).isEmpty && s.overlay == nil)
    }
}

@Suite struct RecentFilesTests {
    @Test func openedFilesBecomeRecentAndSelectable() throws {
        var s = AppState(columns: 100, rows: 30, presets: Preset.builtins, backend: .local(.approx))
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
        #expect(Reducer.reduce(&s, .command(.activate)) == [.load(paths: ["/d/b.npy"], presets: s.presets)])
    }
}
