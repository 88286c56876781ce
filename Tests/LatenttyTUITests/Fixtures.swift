import Foundation

@testable import LatentKit
@testable import LatenttyTUI
@testable import Workbench

/// Building blocks for the reducer tests: states, latents and job statuses made up in memory.
enum Fixtures {
    static func state(columns: Int = 100, rows: Int = 30, backend: BackendChoice = .local(.approx)) -> AppState {
        AppState(columns: columns, rows: rows, presets: Preset.builtins, backend: backend, workingDirectory: "/work/here")
    }

    static func latent(_ name: String, shape: [Int] = [1, 4, 8, 8], preset: String = "sd15") throws -> LoadedLatent {
        var generator = TorchGenerator(seed: 1)
        return LoadedLatent(
            name: name, source: JobSource(path: "/x/\(name).safetensors"), tensor: try generator.randn(shape: shape), space: .diffusion,
            presetID: preset)
    }

    static func job(
        _ name: String, _ state: JobState, backend: BackendIdentity = .local(.approx), geometry: ResultGeometry? = nil
    ) -> JobStatus {
        var status = JobStatus(id: UUID(), name: name, presetID: "sd15", backend: backend, state: state, queuedAt: Date())
        status.geometry = geometry
        if state == .done { status.outputs = ["/out/\(name).png", "/out/\(name).json"] }
        return status
    }

    /// The names of the jobs a lone `.submit` effect queues (nil for anything else).
    static func submitted(_ effects: [Effect]) -> [String]? {
        guard effects.count == 1, case .submit(let jobs, _) = effects[0] else { return nil }
        return jobs.map(\.name)
    }

    @discardableResult
    static func run(_ state: inout AppState, _ actions: Action...) -> [Effect] {
        actions.flatMap { Reducer.reduce(&state, $0) }
    }
}
