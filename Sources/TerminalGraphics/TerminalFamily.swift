/// Terminals that draw pictures in their own way, as they name themselves.
enum TerminalFamily: String, Sendable, CaseIterable {
    case kitty = "kitty"
    case ghostty = "Ghostty"
    case wezterm = "WezTerm"
    case iterm2 = "iTerm2"
    case mintty = "mintty"
    case vscode = "VS Code"
    case konsole = "Konsole"
    case foot = "foot"
    case windowsTerminal = "Windows Terminal"
    case mlterm = "mlterm"
    case contour = "contour"
    case vte = "VTE"
    case xterm = "xterm"

    /// Speaks the kitty graphics protocol (Konsole since 22.04, partly).
    var speaksKitty: Bool { [.kitty, .ghostty, .wezterm, .konsole].contains(self) }

    /// Shows `OSC 1337 ; File=` inline images.
    var drawsITermImages: Bool { [.iterm2, .mintty, .vscode, .wezterm].contains(self) }

    /// Draws 24-bit colour even when `COLORTERM` does not say so (it is lost over ssh and sudo).
    var truecolor: Bool { self != .xterm }

    /// From an XTVERSION answer (`kitty(0.26.5)`, `WezTerm 20240203-110809-5046fc22`, `XTerm(379)`),
    /// which tmux also keeps as `client_termtype`.
    static func fromVersionReply(_ text: String) -> TerminalFamily? {
        let name = text.lowercased()
        let prefixes: [(String, TerminalFamily)] = [
            ("kitty", .kitty), ("ghostty", .ghostty), ("wezterm", .wezterm), ("iterm2", .iterm2), ("mintty", .mintty),
            ("konsole", .konsole), ("foot", .foot), ("mlterm", .mlterm), ("contour", .contour), ("vte", .vte), ("xterm(", .xterm),
        ]
        return prefixes.first { name.hasPrefix($0.0) }?.1
    }

    /// From a `TERM` value, where it names one terminal (`xterm-256color` names none).
    static func fromTerm(_ term: String) -> TerminalFamily? {
        switch term {
        case "xterm-kitty": .kitty
        case "xterm-ghostty", "ghostty": .ghostty
        case "wezterm": .wezterm
        case "mintty": .mintty
        case "contour": .contour
        case _ where term.hasPrefix("foot"): .foot
        case _ where term.hasPrefix("mlterm"): .mlterm
        default: nil
        }
    }

    /// From `TERM_PROGRAM`.
    static func fromTermProgram(_ program: String) -> TerminalFamily? {
        switch program.lowercased() {
        case "iterm.app": .iterm2
        case "wezterm": .wezterm
        case "ghostty": .ghostty
        case "vscode": .vscode
        case "mintty": .mintty
        case "kitty": .kitty
        default: nil
        }
    }
}

/// Which terminal draws the pixels, and how that was learned.
struct TerminalIdentity: Equatable {
    var family: TerminalFamily
    /// The version as the terminal spelled it, when known (`0.26.5`, `220402`).
    var version: String?
    /// Where it came from, for the decision's words: "XTVERSION", "client_termtype", "TERM".
    var source: String

    var name: String { family.rawValue + (version.map { " \($0)" } ?? "") }

    /// kitty draws Unicode placeholders from 0.28 (0.26.5, Debian 12's, shows them as empty boxes);
    /// Ghostty has them from its first release; WezTerm and Konsole do not have them.
    var drawsPlaceholders: Bool {
        switch family {
        case .ghostty: true
        case .kitty: version.flatMap(Self.numbers).map { $0.lexicographicallyPrecedes([0, 28]) == false } ?? true
        default: false
        }
    }

    /// `0.26.5` → [0, 26, 5]; nil without digits.
    static func numbers(_ text: String) -> [Int]? {
        let numbers = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        return numbers.isEmpty ? nil : numbers
    }

    /// `kitty(0.26.5)` → kitty, `0.26.5`.
    static func fromVersionReply(_ text: String, source: String) -> TerminalIdentity? {
        guard let family = TerminalFamily.fromVersionReply(text) else { return nil }
        let version = text.drop(while: { !$0.isNumber }).prefix(while: { $0.isNumber || $0 == "." })
        return TerminalIdentity(family: family, version: version.isEmpty ? nil : String(version), source: source)
    }
}
