import Foundation
import Workbench

/// What the decode queue reports: job status changes, removals, the queue's order and journal trouble.
enum QueueEventReducer {
    /// Returns what a finished encode asks for: its latent read back, to be listed and decoded.
    @discardableResult
    static func apply(_ event: QueueEvent, to state: inout AppState) -> [Effect] {
        var effects: [Effect] = []
        switch event {
        case .status(let status):
            if let index = state.jobs.firstIndex(where: { $0.id == status.id }) {
                let previous = state.jobs[index].state
                let firstFrames = state.jobs[index].frames == nil && status.frames != nil
                state.jobs[index] = status
                // A video's first frames start playback: the frames so far loop while the rest decode.
                if firstFrames, state.selectedJob?.id == status.id { state.playback = Playback(frame: 0, playing: true) }
                if previous != status.state, status.state == .done, status.kind == .encode {
                    state.status = StatusMessage("\(status.name) encoded; decoding it back", .success)
                    effects.append(.openEncoded(status, presets: state.presets))
                } else if previous != status.state, status.state == .done,
                    let file = status.outputs.first(where: { !$0.hasSuffix(".json") })
                {
                    state.status = StatusMessage("\(status.name) done → \(file)", .success)
                } else if previous != status.state, status.state == .failed {
                    state.status = StatusMessage("\(status.name) failed: \(status.error ?? "")", .error)
                }
            } else {
                // The decode of an image's latent follows its encode, so the preview goes on to the round trip.
                let followsSelection = status.encodedBy != nil && status.encodedBy == state.selectedJob?.id
                state.jobs.append(status)
                if followsSelection, let index = state.visibleJobs.firstIndex(where: { $0.id == status.id }) {
                    state.jobIndex = index
                    state.playback = Playback()
                }
            }
        case .removed(let ids):
            let selected = state.selectedJob?.id
            state.jobs.removeAll { ids.contains($0.id) }
            state.jobIndex = selected.flatMap { id in state.visibleJobs.firstIndex { $0.id == id } } ?? 0
            if let mark = state.compareMark, ids.contains(mark) { state.compareMark = nil }
            if let comparison = state.comparison, ids.contains(comparison.left) || ids.contains(comparison.right) {
                state.comparison = nil
            }
        case .frames:
            // Pixels are the preview store's; the status after them counts them.
            break
        case .journalFailed(let message):
            state.status = StatusMessage(message, .warning)
        case .order(let ids):
            let selected = state.selectedJob?.id
            state.jobs.sort { (ids.firstIndex(of: $0.id) ?? .max) < (ids.firstIndex(of: $1.id) ?? .max) }
            state.jobIndex = selected.flatMap { id in state.visibleJobs.firstIndex { $0.id == id } } ?? state.jobIndex
        }
        state.jobIndex = Reducer.clamp(state.jobIndex, count: state.visibleJobs.count)
        return effects
    }
}
