import Foundation
import Workbench

/// Compare mode: `m` marks a result, `m` on a second compatible result shows the two side by side,
/// `m` on the marked one or Esc leaves. `m` on the decode of an encoded image, with nothing marked,
/// shows the original beside it at once (the VAE round trip, PSNR in the title).
enum CompareReducer {
    static func compare(_ state: inout AppState) {
        guard let job = state.selectedJob else { return }
        guard job.state == .done else {
            state.status = StatusMessage("only finished results can be compared; \(job.name) is \(JobText.stateWord(job))", .warning)
            return
        }
        guard let markID = state.compareMark, let marked = state.jobs.first(where: { $0.id == markID }) else {
            if let original = state.jobs.first(where: { $0.id == job.encodedBy && $0.state == .done }) {
                state.compareMark = original.id
                state.comparison = Comparison(left: original.id, right: job.id)
                state.focus = .preview
                state.status = StatusMessage("comparing the original \(original.name) with its decode · PSNR in the title · Esc leaves")
                return
            }
            state.compareMark = job.id
            state.comparison = nil
            state.status = StatusMessage("marked \(job.name); select another result and press m to compare (Esc leaves)")
            return
        }
        if marked.id == job.id {
            leave(&state)
            return
        }
        if let left = marked.geometry, let right = job.geometry, left != right {
            state.status = StatusMessage("can't compare a \(left) with a \(right)", .warning)
            return
        }
        state.comparison = Comparison(left: marked.id, right: job.id)
        state.focus = .preview
        state.status = StatusMessage("comparing \(marked.name) with \(job.name) · Esc leaves compare mode")
    }

    static func leave(_ state: inout AppState) {
        state.compareMark = nil
        state.comparison = nil
        state.status = StatusMessage("compare mode off")
    }
}
