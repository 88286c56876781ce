import TerminalGraphics

/// What latentty makes of a terminal's (or tmux's) answers to its queries: whatever arrives on the
/// input — a hostile terminal over SSH, typed keys mixed in, replies cut off — detection must end
/// with a decision and the geometry must stay sane. The first byte picks the environment, the
/// rest are the replies; a line after a NUL is tmux's `display` answer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: start, count: count))
    guard let selector = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    let split = rest.firstIndex(of: 0) ?? rest.endIndex
    let replies = Array(rest[..<split])
    let display = String(decoding: rest[min(split + 1, rest.endIndex)...], as: UTF8.self)
    let environments: [[String: String]] = [
        [:], ["TERM": "xterm-kitty"], ["TERM": "tmux-256color", "TMUX": "/tmp/t,1,0", "TERM_PROGRAM": "tmux"],
        ["TERM_PROGRAM": "iTerm.app"], ["TERM": "xterm-256color", "COLORTERM": "truecolor"],
    ]
    let environment = environments[Int(selector) % environments.count]
    let choice = GraphicsChoice.allCases[Int(selector >> 4) % GraphicsChoice.allCases.count]
    var tmux = TmuxInfo.parse(display: display)
    let split2 = ProbeReplies.parseThroughTmux(replies)
    tmux.outerReplies = split2.outer
    _ = TmuxPaneView.parse(display)
    _ = TerminalReplies.cursorPosition(in: replies)
    let report = GraphicsDetection.decide(
        environment: environment, replies: ProbeReplies.parse(replies), tmux: environment["TMUX"] == nil ? nil : tmux, choice: choice)
    precondition(report.target.cellWidth > 0 && report.target.cellHeight > 0, "a cell has a size")
    precondition(report.signals.contains { $0.name == "decision" }, "every run ends in a decision")
    return 0
}
