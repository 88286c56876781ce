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

/// Where new decodes go: this machine with one engine, or each latent's own preset's endpoints.
public enum BackendChoice: Sendable, Hashable {
    case local(LocalEngineSpec)
    case remote

    public var isLocal: Bool {
        if case .local = self { true } else { false }
    }

    /// For the status line and the Presets title.
    public var label: String {
        switch self {
        case .local(let spec): "local \(spec.label)"
        case .remote: "remote"
        }
    }
}

/// A one-line message for the status bar.
public struct StatusMessage: Sendable, Equatable {
    public enum Kind: Sendable { case info, success, warning, error }
    public var text: String
    public var kind: Kind

    public init(_ text: String, _ kind: Kind = .info) {
        self.text = text
        self.kind = kind
    }
}

/// One editable line of text in a dialog.
public struct TextField: Sendable, Equatable {
    public var label: String
    public var text: String

    public init(_ label: String, _ text: String) {
        self.label = label
        self.text = text
    }
}

/// The open-files dialog: a path with completion, the directory's latent files, multi-select, recents.
public struct FileDialog: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var isDirectory: Bool
        /// A recently opened file, listed by its full path.
        public var isRecent = false

        public init(name: String, isDirectory: Bool, isRecent: Bool = false) {
            self.name = name
            self.isDirectory = isDirectory
            self.isRecent = isRecent
        }
    }

    public var path: String
    public var directory: String
    public var entries: [Entry]
    public var index: Int
    public var selected: [String]
    public var recent: [String]

    public static let latentExtensions: Set<String> = ["safetensors", "latent", "npy", "npz", "pt", "pth"]

    /// Recent files first (until something is typed), then entries whose names start with what is
    /// typed after the last `/`.
    public var visible: [Entry] {
        let prefix = path.hasSuffix("/") ? "" : (path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? "")
        let recents = prefix.isEmpty ? recent.map { Entry(name: $0, isDirectory: false, isRecent: true) } : []
        return recents + entries.filter { prefix.isEmpty || $0.name.hasPrefix(prefix) }
    }

    /// The full path of an entry.
    public func path(of entry: Entry) -> String {
        entry.isRecent ? entry.name : Reducer.join(directory, entry.name)
    }

    /// Tab completion: the longest prefix every visible entry shares (a directory gets its `/`).
    public func completed() -> String {
        let candidates = visible
        guard let first = candidates.first else { return path }
        var common = first.name
        for candidate in candidates.dropFirst() {
            common = String(zip(common, candidate.name).prefix { $0 == $1 }.map(\.0))
        }
        let base = path.hasSuffix("/") ? path : String(path[..<(path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex)])
        let suffix = candidates.count == 1 && first.isDirectory ? "/" : ""
        return base + common + suffix
    }
}

public struct GenerateForm: Sendable, Equatable {
    public var presetIndex: Int
    public var size: TextField
    public var frames: TextField
    public var seed: TextField
    public var count: TextField
    public var dtype: DType
    public var focus: Int

    public static let fieldCount = 6
}

public struct PresetForm: Sendable, Equatable {
    public var presetID: String
    public var endpoint: TextField
    public var outputType: OutputType
    public var imageFormat: ImageFormat
    public var concurrency: TextField
    public var focus: Int

    public static let fieldCount = 4
}

public enum Overlay: Sendable, Equatable {
    case help
    case confirmQuit
    case open(FileDialog)
    case generate(GenerateForm)
    case watch(TextField)
    case inspect(UUID)
    case presetForm(PresetForm)
    case filter(TextField)
    case sendTo(UUID)
}

/// Video playback of the selected result.
public struct Playback: Sendable, Equatable {
    public var frame = 0
    public var playing = false
}

/// The whole workbench as data. Rendering reads it; only the reducer changes it.
public struct AppState: Sendable {
    public var columns: Int
    public var rows: Int
    public var focus: Pane = .sources
    public var presets: [Preset]
    public var presetIndex = 0
    public var backend: BackendChoice
    /// What `b` cycles through: latent2rgb, the engine given on the command line, and remote when
    /// some preset has an endpoint.
    public var backendChoices: [BackendChoice]
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
    public var playback = Playback()
    public var keyMap: KeyMap
    public var shouldQuit = false

    public init(
        columns: Int, rows: Int, presets: [Preset], backend: BackendChoice, backendChoices: [BackendChoice]? = nil,
        keyMap: KeyMap = .default
    ) {
        self.columns = columns
        self.rows = rows
        self.presets = presets
        self.backend = backend
        self.backendChoices = backendChoices ?? Self.choices(localEngine: backend.isLocal ? backend : nil, presets: presets)
        self.keyMap = keyMap
    }

    /// latent2rgb always; the engine given on the command line; remote when some preset has an endpoint.
    public static func choices(localEngine: BackendChoice?, presets: [Preset]) -> [BackendChoice] {
        var choices: [BackendChoice] = [.local(.approx)]
        if let localEngine, localEngine != .local(.approx) { choices.append(localEngine) }
        if presets.contains(where: { !$0.endpoints.isEmpty }) { choices.append(.remote) }
        return choices
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

    public var runningJobCount: Int { jobs.filter { !$0.state.isFinished }.count }

    /// Where a latent of `preset` is decoded now: this machine, or that preset's own endpoints
    /// (nil when it has none).
    public func backend(for preset: Preset) -> BackendIdentity? {
        switch backend {
        case .local(let spec): .local(spec)
        case .remote: preset.endpoints.isEmpty ? nil : .remote(endpoints: preset.endpoints)
        }
    }

    public func preset(id: String) -> Preset? { presets.first { $0.id == id } }

    /// Decode jobs for `sources`, each on its own preset's backend with its preset's output settings;
    /// nil (with the reason) when a preset has no endpoint to send it to.
    public func jobs(for sources: [LoadedLatent]) -> Result<[DecodeJob], JobFailure> {
        var jobs: [DecodeJob] = []
        for source in sources {
            guard let preset = preset(id: source.presetID) else {
                return .failure(.invalidLatent("\(source.name): its preset '\(source.presetID)' is gone"))
            }
            guard let backend = backend(for: preset) else {
                return .failure(
                    .backendUnavailable("\(preset.name) has no endpoint: press e on it to set one, or b to decode on this machine"))
            }
            jobs.append(
                DecodeJob(
                    name: source.name, source: source.source, latent: source.tensor, space: source.space, preset: preset, backend: backend,
                    options: DecodeOptions(
                        outputType: preset.outputType, imageFormat: preset.imageFormat, height: source.height, width: source.width)))
        }
        return .success(jobs)
    }

    /// How many jobs a backend runs at once: the concurrency of the preset it was chosen for.
    public func concurrency(of job: DecodeJob) -> Int {
        concurrency[job.preset.id] ?? job.preset.concurrency
    }
}
