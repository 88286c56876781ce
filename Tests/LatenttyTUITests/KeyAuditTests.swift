import Foundation
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import Workbench

/// Every key bound in every pane does something visible, or says in the status line why it cannot.
@Suite struct KeyAuditTests {
    /// What a user can see change: anything else counts as doing nothing.
    struct Visible: Equatable {
        var focus: Pane
        var overlay: Overlay?
        var status: StatusMessage?
        var indexes: [Int]
        var selected: Set<UUID>
        var compare: [UUID?]
        var playback: Playback
        var backend: BackendChoice
        var quit: Bool

        init(_ s: AppState) {
            focus = s.focus
            overlay = s.overlay
            status = s.status
            indexes = [s.presetIndex, s.sourceIndex, s.jobIndex]
            selected = s.selectedSources
            compare = [s.compareMark, s.comparison?.left, s.comparison?.right]
            playback = s.playback
            backend = s.backend
            quit = s.shouldQuit
        }
    }

    /// Moving past either end of a list or pane row, and Esc with nothing to close, are allowed
    /// to do nothing, as everywhere.
    static let navigation: Set<Command> = [.up, .down, .pageUp, .pageDown, .left, .right, .back]

    func emptyState() -> AppState { Fixtures.state() }

    func busyState() throws -> AppState {
        var s = Fixtures.state()
        Fixtures.run(&s, .loaded([try Fixtures.latent("a")], errors: []))
        Fixtures.run(&s, .queue(.status(Fixtures.job("running", .decoding))), .queue(.status(Fixtures.job("done", .done))))
        return s
    }

    @Test(arguments: Pane.allCases) func everyKeyDoesSomethingOrSaysWhy(pane: Pane) throws {
        let map = KeyMap.default
        let bindings = map.global.merging(map.panes[pane] ?? [:]) { _, paneCommand in paneCommand }
        for (key, command) in bindings where !Self.navigation.contains(command) {
            for start in [emptyState(), try busyState()] {
                var s = start
                s.focus = pane
                s.status = nil
                let before = Visible(s)
                let effects = Reducer.reduce(&s, .command(command))
                #expect(!effects.isEmpty || Visible(s) != before, "\(key.label) (\(command)) did nothing in \(pane)")
            }
        }
    }

    @Test func dInThePreviewDecodesTheSelectedLatent() throws {
        var s = try busyState()
        s.focus = .preview
        let key = try #require(s.keyMap.command(for: .character("d"), in: .preview))
        #expect(Fixtures.submitted(Fixtures.run(&s, .command(key))) == [s.sources[0].name])
    }
}
