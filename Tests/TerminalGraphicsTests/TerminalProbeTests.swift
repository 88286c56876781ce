import Foundation
import Glibc
import Testing

@testable import TerminalGraphics

/// `TerminalProbe.graphics` end to end where no terminal is needed: pipes are not terminals, so
/// the terminal is not asked, while tmux's answer (canned) still counts.
@Suite struct TerminalProbeTests {
    func withPipe<T>(_ body: (Int32, Int32) -> T) -> T {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { for end in ends { close(end) } }
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
}

// glibc declares these only for _XOPEN_SOURCE, which Swift's Glibc module is not built with.
@_silgen_name("posix_openpt") private func openPseudoTerminal(_ flags: Int32) -> Int32
@_silgen_name("unlockpt") private func unlockPseudoTerminal(_ descriptor: Int32) -> Int32
@_silgen_name("ptsname") private func pseudoTerminalName(_ descriptor: Int32) -> UnsafeMutablePointer<CChar>?

/// The exchange over a pseudo-terminal, with the test as the terminal: its answers are queued on
/// the master side before the probe reads, so nothing waits on timing.
@Suite struct TerminalExchangeTests {
    struct PseudoTerminal {
        let master: Int32
        let slave: Int32
        let name: String

        init() throws {
            master = openPseudoTerminal(O_RDWR | O_NOCTTY)
            try #require(master >= 0 && unlockPseudoTerminal(master) == 0)
            name = String(cString: try #require(pseudoTerminalName(master)))
            slave = open(name, O_RDWR | O_NOCTTY)
            try #require(slave >= 0)
        }

        func answer(_ bytes: [UInt8]) {
            #expect(write(master, bytes, bytes.count) == bytes.count)
        }

        func close() {
            Glibc.close(slave)
            Glibc.close(master)
        }
    }

    @Test func readsTheAnswersThroughDA1() throws {
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        terminal.answer(RecordedReplies.kitty)
        let reply = TerminalProbe.exchange(
            TerminalProbe.directQueries, sentinels: 1, input: terminal.slave, output: terminal.slave,
            deadline: Date().addingTimeInterval(5))
        #expect(reply == RecordedReplies.kitty)
    }

    @Test func insideTmuxTheOuterTerminalsDA1EndsTheWait() {
        let tmuxOwn = Array(RecordedReplies.kittyInTmuxPassthroughOn.prefix(while: { $0 != UInt8(ascii: "c") })) + [UInt8(ascii: "c")]
        #expect(ProbeReplies.parse(tmuxOwn).primaryAttributes == [1, 2])
        #expect(!TerminalProbe.complete(tmuxOwn, sentinels: 2))
        #expect(TerminalProbe.complete(RecordedReplies.kittyInTmuxPassthroughOn, sentinels: 2))
        #expect(TerminalProbe.complete(RecordedReplies.kitty, sentinels: 1))
        #expect(!TerminalProbe.complete(Array(RecordedReplies.kitty.dropLast()), sentinels: 1))
    }

    @Test func waitsForBothDA1RepliesInsideTmux() throws {
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        terminal.answer(RecordedReplies.kittyInTmuxPassthroughOn)
        let reply = TerminalProbe.exchange(
            TerminalProbe.tmuxQueries(passthrough: true), sentinels: 2, input: terminal.slave, output: terminal.slave,
            deadline: Date().addingTimeInterval(5))
        #expect(ProbeReplies.parseThroughTmux(reply).outer?.kittyGraphics == true)
    }

    /// tmux answers `CSI 6 n` with the pane's cursor, 1-based; DA1 after it ends the wait.
    @Test func theCursorPositionIsAsked() throws {
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        terminal.answer(Array("\u{1B}[6;1R\u{1B}[?1;2c".utf8))
        #expect(TerminalProbe.cursorPosition(input: terminal.slave, output: terminal.slave, timeout: 5) == CellPosition(row: 5, column: 0))
        #expect(TerminalReplies.cursorPosition(in: Array("\u{1B}[?1;2c".utf8)) == nil)
        #expect(TerminalReplies.cursorPosition(in: Array("\u{1B}[0;4R".utf8)) == nil)
    }

    @Test func aSecondProbeOfTheSameTerminalStaysOut() throws {
        let terminal = try PseudoTerminal()
        defer { terminal.close() }
        let other = open(terminal.name, O_RDWR | O_NOCTTY)
        defer { close(other) }
        #expect(flock(other, LOCK_EX | LOCK_NB) == 0)
        terminal.answer(RecordedReplies.kitty)
        let reply = TerminalProbe.exchange(
            TerminalProbe.directQueries, sentinels: 1, input: terminal.slave, output: terminal.slave,
            deadline: Date().addingTimeInterval(5))
        #expect(reply.isEmpty)
    }
}
