@testable import TerminalGraphics

/// What real terminals answered to `TerminalProbe`'s batches, byte for byte, and what tmux's
/// `display-message` said, recorded with `scripts/capture_replies.sh all` under Xvfb on Debian 12
/// on 2026-11-29: kitty 0.26.5, XTerm(379) (plain and `-ti vt340`), mlterm 3.9.0, tmux 3.3a. tmux's
/// sessions there have one pane, so it starts at the terminal's top-left (`0 0 on bottom`).
enum RecordedReplies {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// kitty 0.26.5: XTVERSION, the kitty query's OK, the cell size and DA1 — no XTSMGRAPHICS answer.
    static let kitty = bytes("\u{1B}P>|kitty(0.26.5)\u{1B}\\\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[6;18;9t\u{1B}[?62;c")

    /// kitty 0.26.5 around tmux 3.3a with `allow-passthrough on`: tmux answers XTVERSION and DA1 at
    /// once; kitty's answers to the wrapped queries come back through tmux after them.
    static let kittyInTmuxPassthroughOn = bytes(
        "\u{1B}P>|tmux 3.3a\u{1B}\\\u{1B}[?1;2c\u{1B}P>|kitty(0.26.5)\u{1B}\\\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[6;18;9t\u{1B}[?62;c")
    static let kittyInTmuxPassthroughOnDisplay = "3.3a\txterm-kitty\tkitty(0.26.5)\t1\t0\t0\ton\tbottom"

    /// The same with `allow-passthrough off`: only tmux's own answers.
    static let kittyInTmuxPassthroughOff = bytes("\u{1B}P>|tmux 3.3a\u{1B}\\\u{1B}[?1;2c")
    static let kittyInTmuxPassthroughOffDisplay = "3.3a\txterm-kitty\tkitty(0.26.5)\t0\t0\t0\ton\tbottom"

    /// `xterm -ti vt340`: sixel in DA1 and XTSMGRAPHICS (the window's size); no `CSI 16 t` answer
    /// (xterm's allowWindowOps is off by default).
    static let xtermVT340 = bytes("\u{1B}P>|XTerm(379)\u{1B}\\\u{1B}[?2;0;480;312S\u{1B}[?63;1;2;4;6;9;15;16;22;28c")

    /// `xterm -ti vt340` around tmux 3.3a with `allow-passthrough on`.
    static let xtermVT340InTmuxPassthroughOn = bytes(
        "\u{1B}P>|tmux 3.3a\u{1B}\\\u{1B}[?1;2c\u{1B}P>|XTerm(379)\u{1B}\\\u{1B}[?2;0;480;312S\u{1B}[?63;1;2;4;6;9;15;16;22;28c")
    static let xtermVT340InTmuxPassthroughOnDisplay = "3.3a\txterm\tXTerm(379)\t1\t0\t0\ton\tbottom"

    /// Plain xterm (a VT420): no sixel, and XTSMGRAPHICS fails with status 3.
    static let xterm = bytes("\u{1B}P>|XTerm(379)\u{1B}\\\u{1B}[?2;3S\u{1B}[?64;1;2;6;9;15;16;17;18;21;22;28c")

    /// mlterm 3.9.0: no XTVERSION; sixel in DA1; its XTSMGRAPHICS answer is about colour registers
    /// (item 1, status 3), not geometry.
    static let mlterm = bytes("\u{1B}[?1;3;0S\u{1B}[6;19;10t\u{1B}[?63;1;2;3;4;6;7;15;18;22;29c")
}
