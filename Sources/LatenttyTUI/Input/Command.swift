/// Everything a key, a click or a script can ask the workbench to do.
public enum Command: String, Sendable, CaseIterable, Codable {
    case help, quit, back, nextPane, previousPane, left, right, up, down, pageUp, pageDown, activate
    case open, generate, watch, inspect
    case decode, decodeAll, cancel, retry, sendElsewhere, moveEarlier, moveLater, clearFinished
    case save, toggleBackend, filter, compare, playPause, nextFrame, previousFrame, editPreset, toggleSelect
    case allowPictures

    /// What the help overlay says.
    public var summary: String {
        switch self {
        case .help: "this help"
        case .quit: "quit (asks while jobs run)"
        case .back: "close / back"
        case .nextPane: "next pane"
        case .previousPane: "previous pane"
        case .left: "pane to the left"
        case .right: "pane to the right"
        case .up: "move up"
        case .down: "move down"
        case .pageUp: "page up"
        case .pageDown: "page down"
        case .activate: "act on the selection"
        case .open: "open latent files, or images to encode"
        case .generate: "generate seeded noise latents"
        case .watch: "watch a folder and decode what appears"
        case .inspect: "inspect the selected latent"
        case .decode: "decode the selected latent"
        case .decodeAll: "decode every loaded latent"
        case .cancel: "cancel the selected job"
        case .retry: "run the selected job again"
        case .sendElsewhere: "send the job to the other backend"
        case .moveEarlier: "move the job earlier"
        case .moveLater: "move the job later"
        case .clearFinished: "clear finished jobs (files stay)"
        case .save: "export the result (PNG/JPEG/MP4/tensor)"
        case .toggleBackend: "switch local / remote backend"
        case .filter: "filter jobs by name"
        case .compare: "mark for compare / compare with marked"
        case .playPause: "play / pause video"
        case .nextFrame: "next frame"
        case .previousFrame: "previous frame"
        case .editPreset: "edit endpoint, output, format, concurrency"
        case .toggleSelect: "select / unselect"
        case .allowPictures: "let pictures through tmux (this pane only)"
        }
    }
}

/// A key as the workbench sees it, independent of curses codes.
public enum Key: Hashable, Sendable {
    case character(Character)
    case control(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, delete
    case function(Int)

    /// Parses the names used in config files: `q`, `ctrl-c`, `enter`, `esc`, `tab`, `shift-tab`, `up`, `f1`, `space`.
    public init?(name: String) {
        let lower = name.lowercased()
        switch lower {
        case "up": self = .up
        case "down": self = .down
        case "left": self = .left
        case "right": self = .right
        case "pgup", "pageup": self = .pageUp
        case "pgdn", "pagedown": self = .pageDown
        case "home": self = .home
        case "end": self = .end
        case "enter", "return": self = .enter
        case "esc", "escape": self = .escape
        case "tab": self = .tab
        case "shift-tab", "backtab": self = .backTab
        case "backspace": self = .backspace
        case "delete", "del": self = .delete
        case "space": self = .character(" ")
        default:
            if lower.hasPrefix("ctrl-"), lower.count == 6, let last = lower.last {
                self = .control(last)
            } else if lower.hasPrefix("f"), let number = Int(lower.dropFirst()), (1...12).contains(number) {
                self = .function(number)
            } else if name.count == 1, let character = name.first {
                self = .character(character)
            } else {
                return nil
            }
        }
    }

    public var label: String {
        switch self {
        case .character(" "): "space"
        case .character(let c): String(c)
        case .control(let c): "^" + String(c).uppercased()
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .tab: "Tab"
        case .backTab: "S-Tab"
        case .backspace: "Bksp"
        case .delete: "Del"
        case .function(let n): "F\(n)"
        }
    }
}
