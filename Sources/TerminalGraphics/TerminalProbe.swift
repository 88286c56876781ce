import Foundation
import Glibc

/// Asks the terminal about itself in one batch — XTVERSION, the kitty query, XTSMGRAPHICS,
/// `CSI 16 t` — then DA1 as the sentinel: every terminal answers DA1, so when its reply is in, so
/// are the others. Inside tmux, tmux is asked about the pane first, and the queries go to the
/// terminal outside wrapped for passthrough, with a wrapped DA1 of their own. Never waits past the
/// budget, tmux's answer included.
public enum TerminalProbe {
    /// The longest start-up may wait on the terminal and tmux together.
    public static let budget = 0.25

    static let terminalVersionQuery = Array("\u{1B}[>q".utf8)
    static let sixelGeometryQuery = Array("\u{1B}[?2;1;0S".utf8)
    static let cellSizeQuery = Array("\u{1B}[16t".utf8)
    static let primaryAttributesQuery = Array("\u{1B}[c".utf8)
    static let cursorPositionQuery = Array("\u{1B}[6n".utf8)

    /// The batch for a terminal spoken to directly.
    static let directQueries =
        terminalVersionQuery + KittyQuery.request + sixelGeometryQuery + cellSizeQuery + primaryAttributesQuery

    /// The batch inside tmux: tmux's own answers first (its version, its sixel on 3.4), then the
    /// outer terminal's through passthrough. The kitty query is never sent to tmux bare: tmux takes
    /// an APC string as the pane's new title.
    static func tmuxQueries(passthrough: Bool) -> [UInt8] {
        let own = terminalVersionQuery + sixelGeometryQuery + cellSizeQuery + primaryAttributesQuery
        guard passthrough else { return own }
        return own
            + [terminalVersionQuery, KittyQuery.request, sixelGeometryQuery, cellSizeQuery, primaryAttributesQuery].flatMap(
                TmuxPassthrough.wrap)
    }

    /// Detects how to draw pictures on the terminal at `input`/`output` within `budget` seconds.
    /// The terminal is not asked when `input`/`output` are not terminals, or when `choice` names a
    /// protocol and the window size gives the cell size — except sixel inside tmux, where only
    /// tmux's answer tells whether it draws sixel itself or the escapes must pass through.
    public static func graphics(
        choice: GraphicsChoice, input: Int32, output: Int32, environment: [String: String],
        runner: some CommandRunner = SystemCommandRunner(), budget: Double = TerminalProbe.budget
    ) -> GraphicsReport {
        let deadline = Date().addingTimeInterval(budget)
        let windowCell = windowCellSize(output).map { PixelSize(width: $0.0, height: $0.1) }
        let inTmux = GraphicsDetection.insideTmux(environment: environment)
        var signals: [GraphicsSignal] = []
        var tmux: TmuxInfo?
        if environment["TMUX"] != nil {
            // Half the budget at most, so a slow tmux server still leaves time for the terminal.
            switch TmuxInfo.read(environment: environment, runner: runner, timeout: budget / 2) {
            case .success(let info): tmux = info
            case .failure(let error):
                signals.append(GraphicsSignal(name: "tmux display", value: "failed", meaning: error.description))
            }
        }
        var replies: ProbeReplies?
        if isatty(input) != 1 || isatty(output) != 1 {
            signals.append(GraphicsSignal(name: "probe", value: "skipped", meaning: "input or output is not a terminal"))
        } else if choice != .auto, windowCell != nil, !(inTmux && choice == .sixel) {
            signals.append(
                GraphicsSignal(name: "probe", value: "skipped", meaning: "the protocol is chosen and the window size gives the cell size"))
        } else {
            let started = Date()
            if inTmux {
                let passthrough = tmux?.passthroughWorks != false
                let bytes = exchange(
                    tmuxQueries(passthrough: passthrough), sentinels: passthrough ? 2 : 1, input: input, output: output, deadline: deadline)
                let (own, outer) = ProbeReplies.parseThroughTmux(bytes)
                replies = own
                var info = tmux ?? TmuxInfo()
                info.outerReplies = outer
                tmux = info
            } else {
                replies = ProbeReplies.parse(exchange(directQueries, sentinels: 1, input: input, output: output, deadline: deadline))
            }
            let elapsed = Int(Date().timeIntervalSince(started) * 1000)
            signals.append(GraphicsSignal(name: "probe", value: "\(elapsed) ms", meaning: "time the terminal took to answer"))
        }
        var report = GraphicsDetection.decide(
            environment: environment, replies: replies, tmux: tmux, choice: choice, windowCellSize: windowCell)
        report.signals = signals + report.signals
        return report
    }

    /// Where the cursor is (`CSI 6 n`), with DA1 after it as the sentinel; inside tmux, tmux
    /// answers both with the pane's own cursor. nil when no answer came within `timeout` seconds.
    public static func cursorPosition(input: Int32, output: Int32, timeout: Double = TerminalProbe.budget) -> CellPosition? {
        guard isatty(input) == 1, isatty(output) == 1 else { return nil }
        let reply = exchange(
            cursorPositionQuery + primaryAttributesQuery, sentinels: 1, input: input, output: output,
            deadline: Date().addingTimeInterval(timeout))
        return TerminalReplies.cursorPosition(in: reply)
    }

    /// `TIOCGWINSZ` pixel sizes, trusted only when they are plausible (some terminals report zeros
    /// or the character count).
    public static func windowCellSize(_ fd: Int32) -> (Int, Int)? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        let (columns, rows) = (Int(size.ws_col), Int(size.ws_row))
        let (width, height) = (Int(size.ws_xpixel), Int(size.ws_ypixel))
        guard width >= 2 * columns, height >= 2 * rows else { return nil }
        return (width / columns, height / rows)
    }

    /// `sentinels` DA1 replies are in `reply`: one from a terminal, two inside tmux (tmux's own, then
    /// the outer terminal's through passthrough).
    static func complete(_ reply: [UInt8], sentinels: Int) -> Bool {
        TerminalReplies.sequences(in: reply).count { TerminalReplies.primaryAttributes($0) != nil } >= sentinels
    }

    /// Writes `queries` and reads until `sentinels` DA1 replies are in or `deadline` passes, with
    /// echo and line editing off so no reply shows or waits for Enter. Whatever else has arrived by
    /// then is read too, so no reply is left for the application to take as typed keys.
    static func exchange(_ queries: [UInt8], sentinels: Int, input: Int32, output: Int32, deadline: Date) -> [UInt8] {
        // Two probes of one terminal at once (parallel `latentty doctor`s in a test run) would take
        // each other's replies, and one would restore the other's raw mode as the terminal's own,
        // leaving it without echo; the second one stays out and goes by the environment.
        guard flock(input, LOCK_EX | LOCK_NB) == 0 else { return [] }
        defer { flock(input, LOCK_UN) }
        var saved = termios()
        guard tcgetattr(input, &saved) == 0 else { return [] }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        tcsetattr(input, TCSANOW, &raw)
        defer { tcsetattr(input, TCSANOW, &saved) }
        var written = 0
        while written < queries.count {
            let count = queries[written...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return [] }
            written += count
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        var finished = false
        while true {
            let remaining = finished ? 0 : deadline.timeIntervalSinceNow
            var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(max(0, remaining * 1000))) > 0 else { break }
            let count = read(input, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            reply += buffer[0..<count]
            if !finished { finished = complete(reply, sentinels: sentinels) }
        }
        return reply
    }
}
