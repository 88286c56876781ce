import Testing

@testable import TerminalGraphics

/// Answers a command with `answer` when it is the `expected` one, else with a failure that names it.
struct CannedRunner: CommandRunner {
    let expected: [String]
    let answer: Result<CommandResult, CommandError>

    func run(_ arguments: [String], timeout: Double) throws(CommandError) -> CommandResult {
        guard arguments == expected else { return CommandResult(status: 99, output: "", errorOutput: "unexpected \(arguments)") }
        return try answer.get()
    }
}

@Suite struct TmuxInfoTests {
    let environment = ["TMUX": "/tmp/tmux-0/default,1,0", "TMUX_PANE": "%3"]

    @Test func oneDisplayGivesEverything() throws {
        let arguments = [
            "tmux", "display-message", "-p", "-t", "%3",
            "#{version}\t#{client_termname}\t#{client_termtype}\t#{allow-passthrough}\t#{pane_top}\t#{pane_left}\t#{status}\t#{status-position}",
        ]
        let runner = CannedRunner(
            expected: arguments, answer: .success(CommandResult(status: 0, output: RecordedReplies.kittyInTmuxPassthroughOnDisplay + "\n")))
        let info = try TmuxInfo.read(environment: environment, runner: runner, timeout: 0.1).get()
        #expect(
            info
                == TmuxInfo(
                    version: TmuxVersion("3.3a"), clientTermName: "xterm-kitty", clientTermType: "kitty(0.26.5)", allowPassthrough: .on,
                    paneOrigin: CellPosition(row: 0, column: 0)))
    }

    /// What tmux 3.3a printed for the bottom-right pane of a 150×40 window split top/bottom, then
    /// the bottom left/right: `pane_top` stays 21 whatever the status line does, and a status line
    /// at the top (one line, or `status 2`) pushes the pane down on the terminal.
    @Test func thePanesOriginCountsAStatusLineAtTheTop() {
        #expect(TmuxInfo.parse(display: "3.3a\txterm\tXTerm(379)\t1\t21\t76\ton\tbottom\n").paneOrigin == CellPosition(row: 21, column: 76))
        #expect(TmuxInfo.parse(display: "3.3a\txterm\tXTerm(379)\t1\t21\t76\ton\ttop").paneOrigin == CellPosition(row: 22, column: 76))
        #expect(TmuxInfo.parse(display: "3.3a\txterm\tXTerm(379)\t1\t21\t76\t2\ttop").paneOrigin == CellPosition(row: 23, column: 76))
        #expect(TmuxInfo.parse(display: "3.3a\txterm\tXTerm(379)\t1\t21\t76\toff\ttop").paneOrigin == CellPosition(row: 21, column: 76))
        // An answer without the pane's fields (a format tmux could not expand) gives no origin.
        #expect(TmuxInfo.parse(display: "3.3a\txterm\tXTerm(379)\t1").paneOrigin == nil)
        #expect(TmuxInfo.parse(display: "3.3a\txterm\tXTerm(379)\t1\t\t\ton\tbottom").paneOrigin == nil)
    }

    @Test func thePanesOriginIsReadAgainOnItsOwn() {
        let arguments = ["tmux", "display-message", "-p", "-t", "%3", "#{pane_top}\t#{pane_left}\t#{status}\t#{status-position}"]
        let moved = CannedRunner(expected: arguments, answer: .success(CommandResult(status: 0, output: "0\t76\ton\ttop\n")))
        #expect(TmuxInfo.paneOrigin(environment: environment, runner: moved, timeout: 0.1) == CellPosition(row: 1, column: 76))
        let gone = CannedRunner(
            expected: arguments, answer: .success(CommandResult(status: 1, output: "", errorOutput: "can't find pane: %3")))
        #expect(TmuxInfo.paneOrigin(environment: environment, runner: gone, timeout: 0.1) == nil)
        let slow = CannedRunner(expected: arguments, answer: .failure(.timedOut(program: "tmux", seconds: 0.1)))
        #expect(TmuxInfo.paneOrigin(environment: environment, runner: slow, timeout: 0.1) == nil)
    }

    @Test func failuresSayWhy() {
        let arguments = TmuxInfo.displayArguments(environment: environment)
        let refused = CannedRunner(
            expected: arguments, answer: .success(CommandResult(status: 1, output: "", errorOutput: "no server running\n")))
        #expect(
            TmuxInfo.read(environment: environment, runner: refused, timeout: 0.1)
                == .failure(.cannotStart(program: "tmux", reason: "no server running")))
        let slow = CannedRunner(expected: arguments, answer: .failure(.timedOut(program: "tmux", seconds: 0.1)))
        #expect(TmuxInfo.read(environment: environment, runner: slow, timeout: 0.1) == .failure(.timedOut(program: "tmux", seconds: 0.1)))
    }

    @Test func olderTmuxLeavesFieldsEmpty() {
        // tmux 3.1: no client_termtype, no allow-passthrough (and passthrough always on).
        let info = TmuxInfo.parse(display: "3.1c\txterm-256color\t\t\n")
        #expect(info == TmuxInfo(version: TmuxVersion("3.1c"), clientTermName: "xterm-256color"))
        #expect(info.passthroughWorks == true)
        #expect(TmuxInfo.parse(display: "3.4\txterm\tXTerm(390)\tall").allowPassthrough == .all)
        #expect(TmuxInfo.parse(display: "3.3a\txterm\t\t0").passthroughWorks == false)
        #expect(TmuxInfo().passthroughWorks == nil)
    }

    @Test func versionsCompareByNumber() throws {
        #expect(try #require(TmuxVersion("3.3a")) < #require(TmuxVersion("3.4")))
        #expect(try #require(TmuxVersion("next-3.6")).minor == 6)
        #expect(try #require(TmuxVersion("3.10")) > #require(TmuxVersion("3.9")))
        #expect(TmuxVersion("master") == nil)
        #expect(try #require(TmuxVersion("3.3a")).hasPassthroughOption && !#require(TmuxVersion("3.2a")).hasPassthroughOption)
    }
}

@Suite struct TmuxControlTests {
    let arguments = ["tmux", "set-option", "-p", "-t", "%3", "allow-passthrough", "on"]
    let environment = ["TMUX": "/tmp/tmux-0/default,1,0", "TMUX_PANE": "%3"]

    @Test func passthroughIsSetForThePaneOnly() throws {
        try TmuxControl.enablePassthroughForPane(
            environment: environment, runner: CannedRunner(expected: arguments, answer: .success(CommandResult(status: 0, output: ""))))
    }

    @Test func refusalsAndOutsideTmuxAreErrors() {
        let old = CannedRunner(
            expected: arguments, answer: .success(CommandResult(status: 1, output: "", errorOutput: "invalid option: allow-passthrough\n")))
        #expect(throws: TmuxControlError.refused(status: 1, message: "invalid option: allow-passthrough")) {
            try TmuxControl.enablePassthroughForPane(environment: environment, runner: old)
        }
        #expect(
            TmuxControlError.refused(status: 1, message: "invalid option: allow-passthrough").description
                == "tmux refused to set allow-passthrough (exit 1): invalid option: allow-passthrough; tmux 3.3 or newer is needed")
        #expect(throws: TmuxControlError.notInTmux) {
            try TmuxControl.enablePassthroughForPane(environment: [:], runner: old)
        }
        let missing = CannedRunner(
            expected: arguments, answer: .failure(.cannotStart(program: "tmux", reason: "No such file or directory")))
        #expect(throws: TmuxControlError.command(.cannotStart(program: "tmux", reason: "No such file or directory"))) {
            try TmuxControl.enablePassthroughForPane(environment: environment, runner: missing)
        }
    }
}
