/// Pane titles and counts that say what is going on at a glance.
enum PaneTitles {
    /// `Jobs · 2 running · 6 queued /cat`: running and waiting jobs counted apart.
    static func jobs(_ state: AppState) -> String {
        var parts = ["Jobs"]
        if state.runningJobCount > 0 { parts.append("\(state.runningJobCount) running") }
        if state.queuedJobCount > 0 { parts.append("\(state.queuedJobCount) queued") }
        let title = parts.joined(separator: " · ")
        return state.jobFilter.isEmpty ? title : "\(title) /\(state.jobFilter)"
    }

    /// The quit dialog's first line.
    static func unfinishedJobs(_ state: AppState) -> String {
        let count = state.unfinishedJobCount
        return "\(count) job\(count == 1 ? "" : "s") unfinished (\(state.runningJobCount) running, \(state.queuedJobCount) queued)."
    }
}
