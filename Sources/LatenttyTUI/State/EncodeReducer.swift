import Foundation
import LatentKit
import Workbench

/// Images opened in the workbench: each is encoded on the current backend, its latent listed with
/// the image as its thumbnail, and decoded back on the same backend, so `m` shows the round trip.
enum EncodeReducer {
    /// Encode jobs for opened images; when they cannot go anywhere, the reason (unless a file's
    /// own failure is already on the status line, `reportingOver` false).
    static func encode(_ images: [SourceImage], reportingOver: Bool = true, _ state: inout AppState) -> [Effect] {
        guard !images.isEmpty else { return [] }
        switch state.encodeJobs(for: images) {
        case .failure(let failure):
            if reportingOver { state.status = StatusMessage(failure.description, .warning) }
            return []
        case .success(let jobs):
            if reportingOver {
                let first = jobs[0]
                state.status = StatusMessage(
                    "encoding \(jobs.count) image\(jobs.count == 1 ? "" : "s") for \(first.preset.name) · \(first.backend.label)", .info)
            }
            var limits: [BackendIdentity: Int] = [:]
            for job in jobs where !job.backend.isLocal { limits[job.backend] = state.concurrency(of: job) }
            return [.submit(jobs, concurrency: limits)]
        }
    }

    /// An encode's latent arrived: it is listed, selected, and decoded where it was encoded (this
    /// machine's engine, or the preset's decode endpoints after its encode endpoints).
    static func encoded(_ latent: LoadedLatent, _ state: inout AppState) -> [Effect] {
        state.sources.append(latent)
        state.sourceIndex = state.sources.count - 1
        guard let preset = state.preset(id: latent.presetID) else {
            state.status = StatusMessage("\(latent.name): its preset '\(latent.presetID)' is gone", .warning)
            return []
        }
        let encodeBackend = state.jobs.first { $0.id == latent.source.encodedBy }?.backend
        let backend: BackendIdentity?
        switch encodeBackend {
        case .local(let spec): backend = .local(spec)
        case .remote: backend = preset.endpoints.isEmpty ? nil : .remote(endpoints: preset.endpoints)
        case nil: backend = state.backend(for: preset)
        }
        guard let backend else {
            state.status = StatusMessage(
                "\(latent.name) encoded; \(preset.name) has no decode endpoint: press e on it to set one, or b and d to decode here",
                .warning)
            return []
        }
        let job = AppState.decodeJob(for: latent, preset: preset, backend: backend)
        return [.submit([job], concurrency: backend.isLocal ? [:] : [backend: state.concurrency(of: job)])]
    }
}
