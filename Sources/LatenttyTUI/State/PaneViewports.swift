extension AppState {
    /// What each pane's list shows now; the renderer draws it and clicks are mapped through it.
    public func viewport(of pane: Pane) -> Viewport {
        let rows = layout.rect(of: pane).inner.height
        switch pane {
        case .presets: return Viewport(selected: presetIndex, itemCount: presets.count, rows: rows)
        case .sources: return Viewport(selected: sourceIndex, itemCount: sources.count, rows: rows)
        case .jobs: return Viewport(selected: jobIndex, itemCount: visibleJobs.count, rows: rows, rowsPerItem: 2)
        case .preview: return Viewport(first: 0, visibleCount: 0)
        }
    }
}
