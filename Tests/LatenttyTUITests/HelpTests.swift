import Testing

@testable import LatenttyTUI

/// The `?` box lists every command once, grouped, and scrolls so nothing is cut at 80×24.
@Suite struct HelpTests {
    @Test func everyCommandIsInExactlyOneGroupInAUsefulOrder() {
        let grouped = HelpText.groups.flatMap(\.commands)
        #expect(Set(grouped) == Set(Command.allCases) && grouped.count == Command.allCases.count)
        #expect(HelpText.groups.map(\.title) == ["navigation", "sources", "decoding", "jobs", "preview", "app"])
        let lines = HelpText.lines(for: Fixtures.state())
        #expect(lines.first == "navigation")
        #expect(lines.contains { $0.hasPrefix("  d ") && $0.contains(Command.decode.summary) })
        #expect(lines.contains { $0.contains(Command.cancel.summary) && $0.hasSuffix("(jobs)") })
    }

    @Test func scrollingAt80x24ReachesTheLastLineAndStopsThere() {
        var s = Fixtures.state(columns: 80, rows: 24)
        let lines = HelpText.lines(for: s)
        Fixtures.run(&s, .command(.help))
        let visible = HelpText.viewport(for: s, scroll: 0).visibleCount
        #expect(visible < lines.count)
        Fixtures.run(&s, .command(.down))
        #expect(s.overlay == .help(scroll: 1))
        for _ in 0..<5 { Fixtures.run(&s, .command(.pageDown)) }
        guard case .help(let scroll) = s.overlay else {
            Issue.record("help expected open")
            return
        }
        #expect(scroll == lines.count - visible)
        #expect(HelpText.viewport(for: s, scroll: scroll).items.upperBound == lines.count)
        Fixtures.run(&s, .command(.pageUp), .command(.pageUp), .command(.pageUp), .command(.pageUp), .command(.up))
        #expect(s.overlay == .help(scroll: 0))
    }

    @Test func cutLinesEndInAnEllipsis() {
        let inner = HelpText.width - 2
        for line in HelpText.lines(for: Fixtures.state(columns: 80, rows: 24)) {
            let shown = CellText.truncated(line, to: inner)
            #expect(shown == line || shown.hasSuffix("…"))
        }
    }

    @Test func helpOverlayOpensAndCloses() {
        var s = Fixtures.state()
        Fixtures.run(&s, .command(.help))
        #expect(s.overlay == .help(scroll: 0))
        Fixtures.run(&s, .command(.help))
        #expect(s.overlay == nil)
        Fixtures.run(&s, .command(.help), .click(column: 5, row: 5))
        #expect(s.overlay == nil)
    }
}
