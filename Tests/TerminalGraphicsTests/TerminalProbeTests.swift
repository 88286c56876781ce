import Glibc
import Testing

@testable import TerminalGraphics

/// `TerminalProbe.graphics` end to end where no terminal is needed: pipes are not terminals, so
/// the terminal is not asked, while tmux's answer (canned) still counts.
@Suite struct TerminalProbeTests {
    func withPipe<T>(_ body: (Int32, Int32) -> T) -> T {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { ends.forEach { close($0) } }
        return body(ends[0], ends[1])
    }

    @Test func pipesAreNotAskedButTmuxIs() {
        let environment = ["TMUX": "/tmp/tmux-0/default,1,0", "TMUX_PANE": "%1", "TERM": "tmux-256color"]
        let runner = CannedRunner(
            expected: TmuxInfo.displayArguments(environment: environment),
            answer: .success(CommandResult(status: 0, output: "3.4\txterm-kitty\tkitty(0.35.2)\t1\n")))
        let report = withPipe { input, output in
            TerminalProbe.graphics(choice: .auto, input: input, output: output, environment: environment, runner: runner)
        }
        #expect(report.signals.first == GraphicsSignal(name: "probe", value: "skipped", meaning: "input or output is not a terminal"))
        #expect(report.target.graphics == .kitty && report.target.placeholders && report.target.tmuxPassthrough)
    }

    @Test func aTmuxThatCannotBeAskedIsASignal() {
        let environment = ["TMUX": "/tmp/tmux-0/default,1,0", "TERM": "tmux-256color"]
        let runner = CannedRunner(
            expected: TmuxInfo.displayArguments(environment: environment), answer: .failure(.timedOut(program: "tmux", seconds: 0.125)))
        let report = withPipe { input, output in
            TerminalProbe.graphics(choice: .auto, input: input, output: output, environment: environment, runner: runner)
        }
        #expect(report.signals.contains { $0.name == "tmux display" && $0.meaning.contains("did not finish within 125 ms") })
        #expect(report.target.graphics == .blocks)
    }

    @Test func theWorkbenchsViewCountsOnlyBareSixel() {
        let bare = TerminalCapabilities(
            GraphicsTarget(graphics: .sixel, cellWidth: 6, cellHeight: 13, maxSixelWidth: 480, maxSixelHeight: 312))
        #expect(bare == TerminalCapabilities(sixel: true, cellWidth: 6, cellHeight: 13, maxSixelWidth: 480, maxSixelHeight: 312))
        #expect(!TerminalCapabilities(GraphicsTarget(graphics: .sixel, tmuxPassthrough: true)).sixel)
        #expect(!TerminalCapabilities(GraphicsTarget(graphics: .kitty)).sixel)
    }
}
