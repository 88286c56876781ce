import Foundation
import Workbench

/// Compare mode: `m` marks a result, `m` on a second compatible result shows the two side by side,
/// `m` on the marked one or Esc leaves.
enum CompareReducer {
    static func compare(_ state: inout AppState) {
        guard let job = state.selectedJob else { return }
        guard job.state == .done else {
            state.status = StatusMessage("only finished results can be compared; \(job.name) is \(job.state.rawValue)", .warning)
            return
        }
        guard let markID = state.compareMark, let marked = state.jobs.first(where: { $0.id == markID }) else {
            state.compareMark = job.id
            state.comparison = nil
            state.status = StatusMessage("marked \(job.name); select another result and press m to compare (Esc leaves)")
            return
        }
        if marked.id == job.id {
            leave(&state)
            return
        }
        if let left = ResultShape(of: marked, in: state), let right = ResultShape(of: job, in: state), left != right {
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

/// What a result is, as far as comparing goes: image or video, and its size in pixels. Known from
/// the latent it was decoded from while that latent is loaded.
struct ResultShape: Equatable, CustomStringConvertible {
    enum Kind: String { case image, video }
    var kind: Kind
    var width: Int
    var height: Int

    var description: String { "\(width)×\(height) \(kind.rawValue)" }

    init(kind: Kind, width: Int, height: Int) {
        self.kind = kind
        self.width = width
        self.height = height
    }

    /// The shape of `job`'s result, nil when its latent is not loaded (a job restored from the
    /// journal) or its size cannot be told from the latent (packed without a size).
    init?(of job: JobStatus, in state: AppState) {
        guard let source = state.sources.first(where: { $0.name == job.name }),
            let preset = state.presets.first(where: { $0.id == source.presetID })
        else { return nil }
        let shape = source.tensor.shape
        let kind: Kind = shape.count == 5 || preset.isVideo ? .video : .image
        if let width = source.width, let height = source.height {
            self.init(kind: kind, width: width, height: height)
        } else if shape.count >= 4 {
            self.init(
                kind: kind, width: shape[shape.count - 1] * preset.spatialFactor, height: shape[shape.count - 2] * preset.spatialFactor)
        } else {
            return nil
        }
    }
}
