/// Commands while a dialog or box is open: Esc closes any of them; the rest goes to the one open.
enum OverlayReducer {
    static func command(_ command: Command, _ state: inout AppState) -> [Effect] {
        guard let overlay = state.overlay else { return [] }
        if command == .back {
            state.overlay = nil
            return []
        }
        switch overlay {
        case .help(let scroll):
            state.overlay = HelpReducer.command(command, scroll: scroll, state)
        case .inspect:
            if command == .help || command == .activate || command == .quit { state.overlay = nil }
        case .confirmQuit:
            // Enter, q or a second ^C confirm.
            if command == .activate || command == .quit {
                state.shouldQuit = true
                return [.quit]
            }
        case .filter(let field):
            if command == .activate {
                state.jobFilter = field.text
                state.jobIndex = 0
                state.overlay = nil
            } else if command == .quit {
                state.overlay = nil
            }
        case .watch(let field):
            if command == .activate {
                state.overlay = nil
                state.watchedFolder = field.text
                return [.watch(folder: field.text, presets: state.presets)]
            } else if command == .quit {
                state.overlay = nil
            }
        case .open(var dialog):
            if command == .quit {
                state.overlay = nil
                return []
            }
            return FileDialogReducer.command(command, &dialog, &state)
        case .generate(var form):
            if command == .quit {
                state.overlay = nil
                return []
            }
            return GenerateFormReducer.command(command, &form, &state)
        case .presetForm(var form):
            if command == .quit {
                state.overlay = nil
                return []
            }
            return PresetFormReducer.command(command, &form, &state)
        }
        return []
    }
}

/// The help box: ↑↓ and the page keys scroll it; `?`, Enter or q close it.
enum HelpReducer {
    static func command(_ command: Command, scroll: Int, _ state: AppState) -> Overlay? {
        let lines = HelpText.lines(for: state).count
        let viewport = HelpText.viewport(for: state, scroll: scroll)
        let page = max(1, viewport.visibleCount - 1)
        let step: Int
        switch command {
        case .help, .activate, .quit: return nil
        case .up: step = -1
        case .down: step = 1
        case .pageUp: step = -page
        case .pageDown: step = page
        default: return .help(scroll: viewport.first)
        }
        return .help(scroll: min(max(0, viewport.first + step), viewport.lastFirst(itemCount: lines)))
    }
}
