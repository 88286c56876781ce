import Testing

@testable import LatenttyTUI

/// Everything the workbench draws goes through `CellText.truncated`: a file name or an endpoint's
/// words cannot move the cursor, retitle the window or clear the screen.
@Suite struct DrawnTextSafetyTests {
    @Test func controlCharactersAreDrawnEscaped() {
        #expect(CellText.truncated("x\u{1B}[2Jy", to: 20) == "x\\x1B[2Jy")
        #expect(CellText.truncated("a\tb", to: 20) == "a b")
        #expect(CellText.truncated("\u{1B}]0;pwned\u{07}", to: 6) == "\\x1B]…")
    }
}
