import Testing

@testable import LatentKit

/// The one sanitizer every printing edge uses.
@Suite struct TerminalSafeTests {
    @Test func controlCharactersAreShownEscapedAndTheRestIsKept() {
        #expect("plain — ünïcode 漢字".terminalSafe == "plain — ünïcode 漢字")
        #expect("a\u{1B}]0;title\u{07}b".terminalSafe == "a\\x1B]0;title\\x07b")
        #expect("\u{9B}2J\u{7F}\u{0}".terminalSafe == "\\u{9B}2J\\x7F\\x00")
        #expect("abc\u{202E}fed".terminalSafe == "abc\\u{202E}fed")
        #expect("one\ntwo\r".terminalSafe == "one\\x0Atwo\\x0D")
        #expect(TerminalSafe.text("one\ntwo\u{1B}", newlines: true) == "one\ntwo\\x1B")
    }
}
