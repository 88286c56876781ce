/// Clicks: on a status-line button, a pane (focus) or a row of a pane's list (selection).
enum MouseReducer {
    static func click(_ state: inout AppState, column: Int, row: Int) -> [Effect] {
        if state.overlay != nil {
            if case .help = state.overlay { state.overlay = nil }
            return []
        }
        let layout = state.layout
        if layout.status.contains(column: column, row: row) {
            return StatusBar.button(atColumn: column, state: state).map { PaneReducer.command($0, &state) } ?? []
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
