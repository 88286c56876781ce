/// The bottom line: the focused pane's keys as clickable buttons, or the latest message.
public enum StatusBar {
    /// Commands shown for each pane, in order.
    static func commands(for state: AppState) -> [Command] {
        if state.overlay != nil { return [.activate, .back] }
        let commands: [Command] =
            switch state.focus {
            case .presets: [.editPreset, .toggleBackend, .open, .generate, .help, .quit]
            case .sources: [.decode, .decodeAll, .inspect, .open, .generate, .toggleBackend, .help, .quit]
            case .jobs: [.cancel, .retry, .sendElsewhere, .save, .clearFinished, .filter, .help, .quit]
            case .preview: [.save, .playPause, .compare, .decode, .help, .quit]
            }
        // While a result is marked, the way out of compare mode comes first, where it always fits.
        return state.compareMark == nil ? commands : [.back] + commands
    }

    static let shortNames: [Command: String] = [
        .editPreset: "edit", .toggleBackend: "backend", .open: "open", .generate: "generate", .help: "help", .quit: "quit",
        .decode: "decode", .decodeAll: "all", .inspect: "inspect", .cancel: "cancel", .retry: "retry", .sendElsewhere: "other backend",
        .save: "save", .clearFinished: "clear", .filter: "filter", .playPause: "play", .compare: "compare", .activate: "ok", .back: "close",
    ]

    /// Each button's text and starting column.
    public static func buttons(for state: AppState) -> [(text: String, column: Int, command: Command)] {
        var column = 1
        var result: [(String, Int, Command)] = []
        for command in commands(for: state) {
            let key =
                state.keyMap.keys(for: command, in: state.overlay == nil ? state.focus : nil).first?.label
                ?? (command == .activate ? "Enter" : "Esc")
            let name = command == .back && state.overlay == nil ? "leave compare" : shortNames[command] ?? command.rawValue
            let text = "\(key) \(name)"
            guard column + text.count < state.columns - 1 else { break }
            result.append((text, column, command))
            column += text.count + 2
        }
        return result
    }

    static func button(atColumn column: Int, state: AppState) -> Command? {
        buttons(for: state).first { column >= $0.column && column < $0.column + $0.text.count }?.command
    }
}
