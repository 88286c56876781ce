import Foundation
import Testing

@testable import LatenttyTUI
@testable import Workbench

/// Curses reports a press and a release for one click; together they are one click.
@Suite struct MouseTests {
    let press = MouseGesture.buttonBits(1, MouseGesture.pressed)
    let release = MouseGesture.buttonBits(1, MouseGesture.released)

    /// The actions a sequence of curses reports at one place turns into.
    func actions(_ reports: [UInt], column: Int, row: Int) -> [Action] {
        reports.compactMap { MouseGesture(buttonState: $0, column: column, row: row)?.action }
    }

    @Test func aPressAndItsReleaseAreOneClick() {
        let gestures = [press, release].compactMap { MouseGesture(buttonState: $0, column: 7, row: 3) }
        #expect(gestures == [.click(column: 7, row: 3)])
        #expect(MouseGesture(buttonState: MouseGesture.buttonBits(1, MouseGesture.clicked), column: 1, row: 2) == .click(column: 1, row: 2))
        #expect(MouseGesture(buttonState: MouseGesture.buttonBits(4, MouseGesture.pressed), column: 0, row: 0) == .wheel(up: true))
        #expect(MouseGesture(buttonState: MouseGesture.buttonBits(5, MouseGesture.pressed), column: 0, row: 0) == .wheel(up: false))
        #expect(MouseGesture(buttonState: MouseGesture.buttonBits(4, MouseGesture.released), column: 0, row: 0) == nil)
    }

    @Test func clickingSaveInTheStatusLineSavesOnce() {
        var s = Fixtures.state()
        let done = Fixtures.job("a", .done)
        Fixtures.run(&s, .queue(.status(done)))
        s.focus = .jobs
        s.status = nil
        let save = StatusBar.buttons(for: s).first { $0.command == .save }!
        let effects = actions([press, release], column: save.column, row: s.layout.status.y).flatMap { Reducer.reduce(&s, $0) }
        #expect(effects == [.export(done)])
    }

    @Test func clickingHelpInTheStatusLineLeavesHelpOpen() {
        var s = Fixtures.state()
        s.status = StatusMessage("loaded 1 latent")
        let help = StatusBar.buttons(for: s).first { $0.command == .help }!
        for action in actions([press, release], column: help.column, row: s.layout.status.y) { Fixtures.run(&s, action) }
        #expect(s.status == nil && s.overlay == nil)
        for action in actions([press, release], column: help.column, row: s.layout.status.y) { Fixtures.run(&s, action) }
        #expect(s.overlay == .help(scroll: 0))
    }

    @Test func aDialogsStatusLineButtonsWorkByClick() {
        var s = Fixtures.state()
        Fixtures.run(&s, .command(.generate))
        s.status = nil
        let close = StatusBar.buttons(for: s).first { $0.command == .back }!
        for action in actions([press, release], column: close.column, row: s.layout.status.y) { Fixtures.run(&s, action) }
        #expect(s.overlay == nil)
    }

    @Test func mouseSelectsPanesRowsAndButtons() {
        var s = Fixtures.state()
        Fixtures.run(&s, .loaded([try! Fixtures.latent("a"), try! Fixtures.latent("b")], errors: []))
        let layout = s.layout
        Fixtures.run(&s, .click(column: layout.sources.x + 3, row: layout.sources.y + 2))
        #expect(s.focus == .sources && s.sourceIndex == 1)
        Fixtures.run(&s, .click(column: layout.presets.x + 3, row: layout.presets.y + 3))
        #expect(s.focus == .presets && s.presetIndex == 2)
        s.status = nil
        let help = StatusBar.buttons(for: s).first { $0.command == .help }!
        Fixtures.run(&s, .click(column: help.column, row: layout.status.y))
        #expect(s.overlay == .help(scroll: 0))
    }
}
