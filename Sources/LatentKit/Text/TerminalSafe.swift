/// Text from outside — file and tensor names, metadata, an endpoint's error text and headers — made
/// safe to print to a terminal. Control characters there could clear the screen, retitle the
/// window, hide or reorder what follows, or answer for the user; they are shown escaped instead
/// (`\x1B`, `\u{9B}`, `\u{202E}`), so the text stays readable and nothing is silently lost.
public enum TerminalSafe {
    /// `text` with every control character escaped; `newlines` keeps line breaks (multi-line reports).
    public static func text(_ text: String, newlines: Bool = false) -> String {
        escaping(text, newlines: newlines) { scalar in
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return scalar.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
        }
    }

    /// `json` with every character a terminal would act on written as a `\uXXXX` escape: the same
    /// JSON value, safe to print. JSON encoders escape C0 controls themselves but leave DEL, the C1
    /// controls (U+009B is CSI to xterm in UTF-8) and the bidi overrides raw. Such characters can only
    /// be inside strings in valid JSON, where an escape means the very same character.
    public static func json(_ json: String) -> String {
        escaping(json, newlines: true) { scalar in
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }

    /// `text` with each character that `needsEscape` written as `escape` spells it.
    private static func escaping(_ text: String, newlines: Bool, as escape: (Unicode.Scalar) -> String) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, newlines: newlines) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if needsEscape(scalar, newlines: newlines) {
                out.append(contentsOf: escape(scalar).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// C0 and C1 controls, DEL, and the bidirectional overrides and isolates that reorder text.
    public static func needsEscape(_ scalar: Unicode.Scalar, newlines: Bool) -> Bool {
        switch scalar.value {
        case 0x0A: !newlines
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }
}

extension String {
    /// This text as `TerminalSafe.text` makes it: one line, no control characters.
    public var terminalSafe: String { TerminalSafe.text(self) }
}
