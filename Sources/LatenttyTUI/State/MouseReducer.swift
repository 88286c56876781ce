/// Clicks: on a status-line button, a pane (focus) or a row of a pane's list (selection).
enum MouseReducer {
    static func click(_ state: inout AppState, column: Int, row: Int) -> [Effect] {
        let layout = state.layout
        if layout.status.contains(column: column, row: row) {
            // A message covers the buttons: the click dismisses it rather than pressing one unseen.
            if state.status != nil {
                state.status = nil
                return []
            }
            guard let command = StatusBar.button(atColumn: column, state: state) else { return [] }
            return state.overlay == nil ? PaneReducer.command(command, &state) : OverlayReducer.command(command, &state)
        }
        if state.overlay != nil {
            // A click beside the read-only help box closes it; dialogs keep their typing.
            if case .help = state.overlay { state.overlay = nil }
            return []
        }
        guard let pane = layout.pane(atColumn: column, row: row) else { return [] }
        state.focus = pane
        guard let item = state.viewport(of: pane).item(atRow: row - layout.rect(of: pane).inner.y) else { return [] }
        switch pane {
        case .presets: state.presetIndex = item
        case .sources: state.sourceIndex = item
        case .jobs:
            if item != state.jobIndex { state.playback = Playback() }
            state.jobIndex = item
        case .preview: break
        }
        return []
    }
}
