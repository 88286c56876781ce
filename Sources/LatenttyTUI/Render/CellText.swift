import CNcursesw
import LatentKit

/// Text measured in terminal cells (wide characters take two). Everything the workbench draws is
/// cut through `truncated`, so a cut is always shown with an ellipsis, and no control character from
/// a file name, metadata or an endpoint's words reaches the terminal (`TerminalSafe`).
enum CellText {
    static let ellipsis: Character = "…"

    /// Cells of one character; 1 where the locale does not know it (wcwidth says -1 outside UTF-8).
    static func width(of character: Character) -> Int {
        if character == "\t" { return 1 }
        let cells = character.unicodeScalars.first.map { Int(latentty_wcwidth($0.value)) } ?? 1
        return cells < 0 ? 1 : cells
    }

    static func width(of text: String) -> Int { text.reduce(0) { $0 + width(of: $1) } }

    /// `text` in at most `width` cells; when it does not fit, as much as fits before a final `…`.
    static func truncated(_ text: String, to width: Int) -> String {
        guard width > 0 else { return "" }
        // A tab would move the cursor; it takes one cell as a space.
        let text = TerminalSafe.text(text.contains("\t") ? String(text.map { $0 == "\t" ? " " : $0 }) : text)
        guard Self.width(of: text) > width else { return text }
        var out = ""
        var used = 0
        for character in text {
            let cells = Self.width(of: character)
            if used + cells > width - 1 { break }
            out.append(character)
            used += cells
        }
        return out + String(ellipsis)
    }

    /// `text` truncated to `width` cells, then padded with spaces to exactly `width`.
    static func padded(_ text: String, to width: Int) -> String {
        let fitted = truncated(text, to: width)
        return fitted + String(repeating: " ", count: max(0, width - Self.width(of: fitted)))
    }
}
