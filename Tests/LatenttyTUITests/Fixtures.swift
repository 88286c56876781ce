import Foundation

@testable import LatentKit
@testable import LatenttyTUI
@testable import Workbench

/// Building blocks for the reducer tests: states, latents and job statuses made up in memory.
enum Fixtures {
    static func state(columns: Int = 100, rows: Int = 30, backend: BackendChoice = .local) -> AppState {
        AppState(columns: columns, rows: rows, presets: Preset.builtins, backend: backend, workingDirectory: "/work/here")
    }

    static func latent(_ name: String, shape: [Int] = [1, 4, 8, 8], preset: String = "sd15") throws -> LoadedLatent {
        var generator = TorchGenerator(seed: 1)
        return LoadedLatent(
            name: name, source: JobSource(path: "/x/\(name).safetensors"), tensor: try generator.randn(shape: shape), space: .diffusion,
            presetID: preset)
    }

    static func job(_ name: String, _ state: JobState, backend: String = "local") -> JobStatus {
        var status = JobStatus(id: UUID(), name: name, backendID: backend, state: state, queuedAt: Date())
        if state == .done { status.outputs = ["/out/\(name).png", "/out/\(name).json"] }
        return status
    }

    @discardableResult
    static func run(_ state: inout AppState, _ actions: Action...) -> [Effect] {
        actions.flatMap { Reducer.reduce(&state, $0) }
    }
}
