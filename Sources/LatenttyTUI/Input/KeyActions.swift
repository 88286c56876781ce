/// Keys become reducer actions: typing goes into an open text field, everything else through the
/// key map, and a key bound to nothing says so instead of doing nothing.
enum KeyActions {
    static func action(for key: Key, state: AppState) -> Action? {
        if state.overlay != nil {
            switch key {
            case .escape: return .command(.back)
            case .enter: return .command(.activate)
            case .tab: return .command(.nextPane)
            case .backTab: return .command(.previousPane)
            case .up: return .command(.up)
            case .down: return .command(.down)
            case .left: return .command(.left)
            case .right: return .command(.right)
            case .backspace, .delete: return .backspace
            case .control("c"): return .command(.quit)
            case .character(let character):
                if Reducer.acceptsText(state) { return .text(character) }
                if character == " " { return .command(.toggleSelect) }
            default: break
            }
            return state.keyMap.global[key].map(Action.command)
        }
        if let command = state.keyMap.command(for: key, in: state.focus) { return .command(command) }
        return .message(StatusMessage("\(key.label) does nothing in the \(state.focus.rawValue) pane · ? lists the keys", .info))
    }
}
