import Foundation
import LatentKit
import TerminalGraphics
import Workbench

/// A latent the user loaded or generated, ready to be decoded.
public struct LoadedLatent: Sendable, Identifiable {
    public let id: UUID
    public var name: String
    public var source: JobSource
    public var tensor: Tensor
    public var space: LatentSpace
    public var presetID: String
    public var height: Int?
    public var width: Int?
    /// Per-channel statistics, warnings and the like, computed when loaded (off the UI thread).
    public var report: LatentReport?
    /// A latent2rgb picture for the inspect view, as half-block cells.
    public var thumbnail: [[HalfBlockCell]] = []

    public init(
        id: UUID = UUID(), name: String, source: JobSource, tensor: Tensor, space: LatentSpace, presetID: String, height: Int? = nil,
        width: Int? = nil, report: LatentReport? = nil
    ) {
        self.id = id
        self.name = name
        self.source = source
        self.tensor = tensor
        self.space = space
        self.presetID = presetID
        self.height = height
        self.width = width
        self.report = report
    }
}

/// Where decodes go: this machine, or the selected preset's endpoints.
public enum BackendChoice: String, Sendable, Equatable {
    case local, remote
}

/// The whole workbench as data. Rendering reads it; only the reducer changes it.
public struct AppState: Sendable {
    public var columns: Int
    public var rows: Int
    public var focus: Pane = .sources
    public var presets: [Preset]
    public var presetIndex = 0
    public var backend: BackendChoice
    public var endpointOverride: String?
    public var concurrency: [String: Int] = [:]
    public var sources: [LoadedLatent] = []
    public var sourceIndex = 0
    public var selectedSources: Set<UUID> = []
    public var jobs: [JobStatus] = []
    public var jobIndex = 0
    public var jobFilter = ""
    public var overlay: Overlay?
    public var status: StatusMessage?
    public var watchedFolder: String?
    /// Files opened lately, newest first (kept across sessions by the app).
    public var recentFiles: [String] = []
    /// Where the open dialog starts when no latent is selected.
    public var browseDirectory: String?
    public var compareMark: UUID?
    /// The pair shown side by side, once a second result was picked with `m`.
    public var comparison: Comparison?
    public var playback = Playback()
    /// The generate dialog's values the last time it generated, to start from next time.
    public var lastGenerate: GenerateForm?
    /// The directory relative paths start from (the process's, set by the app).
    public var workingDirectory: String
    /// Decode what the first `.loaded` brings (`--decode` with files).
    public var autoDecode = false
    public var keyMap: KeyMap
    /// The local engine's name, for messages (`approx`, `full`, `tiny`).
    public var localEngineName = "approx"
    public var shouldQuit = false

    public init(
        columns: Int, rows: Int, presets: [Preset], backend: BackendChoice, keyMap: KeyMap = .default, workingDirectory: String = "/"
    ) {
        self.columns = columns
        self.rows = rows
        self.presets = presets
        self.backend = backend
        self.keyMap = keyMap
        self.workingDirectory = workingDirectory
    }

    public var layout: Layout { Layout(columns: columns, rows: rows) }
    public var selectedPreset: Preset? { presets.indices.contains(presetIndex) ? presets[presetIndex] : nil }
    public var selectedSource: LoadedLatent? { sources.indices.contains(sourceIndex) ? sources[sourceIndex] : nil }

    /// Jobs after the filter, in queue order.
    public var visibleJobs: [JobStatus] {
        jobFilter.isEmpty ? jobs : jobs.filter { $0.name.localizedCaseInsensitiveContains(jobFilter) }
    }

    public var selectedJob: JobStatus? {
        let visible = visibleJobs
        return visible.indices.contains(jobIndex) ? visible[jobIndex] : nil
    }

    /// Jobs not finished yet, queued or running.
    public var unfinishedJobCount: Int { jobs.filter { !$0.state.isFinished }.count }
    /// Jobs a backend is working on now (uploading, waiting, downloading or decoding).
    public var runningJobCount: Int { jobs.filter { !$0.state.isFinished && $0.state != .queued }.count }
    public var queuedJobCount: Int { jobs.filter { $0.state == .queued }.count }

    /// The endpoints remote decodes use now.
    public var endpoints: [String] {
        if let endpointOverride { return [endpointOverride] }
        return selectedPreset?.endpoints ?? []
    }

    /// The backend id jobs are submitted to.
    public var backendID: String { backend == .local ? "local" : "remote:\(selectedPreset?.id ?? "")" }
}
