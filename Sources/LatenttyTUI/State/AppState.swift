import Foundation
import ImageCodecs
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
    /// latent2rgb of the first image at latent resolution: the latents pane's small picture where
    /// the terminal draws pixels.
    public var picture: RGBImage?
    /// The same for the inspect view, as half-block cells.
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
    /// Inside tmux with passthrough off for this pane: `allowPictures` may turn it on.
    public var picturesBlockedByTmux = false
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
    public var shouldQuit = false

    public init(
        columns: Int, rows: Int, presets: [Preset], backend: BackendChoice, backendChoices: [BackendChoice]? = nil,
        keyMap: KeyMap = .default, workingDirectory: String = "/"
    ) {
        self.columns = columns
        self.rows = rows
        self.presets = presets
        self.backend = backend
        self.backendChoices = backendChoices ?? Self.choices(localEngine: backend.isLocal ? backend : nil, presets: presets)
        self.keyMap = keyMap
        self.workingDirectory = workingDirectory
    }

    /// latent2rgb always; the engine given on the command line; remote when some preset has an
    /// endpoint. Engines found in the model cache join later (`.enginesFound`).
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

    /// Jobs not finished yet, queued or running.
    public var unfinishedJobCount: Int { jobs.filter { !$0.state.isFinished }.count }
    /// Jobs a backend is working on now (uploading, waiting, downloading or decoding).
    public var runningJobCount: Int { jobs.filter { !$0.state.isFinished && $0.state != .queued }.count }
    public var queuedJobCount: Int { jobs.filter { $0.state == .queued }.count }

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
            jobs.append(Self.decodeJob(for: source, preset: preset, backend: backend))
        }
        return .success(jobs)
    }

    /// The decode of `source` on `backend`, with its preset's output settings.
    /// The decode of a latent encoded here is named `<image>_decoded`, so its picture sits beside
    /// the encode's `<image>.png` and `.safetensors` under a name that says which is which.
    static func decodeJob(for source: LoadedLatent, preset: Preset, backend: BackendIdentity) -> DecodeJob {
        DecodeJob(
            name: source.source.encodedBy == nil ? source.name : source.name + "_decoded", source: source.source, latent: source.tensor,
            space: source.space, preset: preset, backend: backend,
            options: DecodeOptions(
                outputType: preset.outputType, imageFormat: preset.imageFormat, height: source.height, width: source.width))
    }

    /// Encode jobs for `images`, for the selected preset, on the current backend: this machine's
    /// engine, or the preset's encode endpoints; the reason instead when they cannot go anywhere.
    public func encodeJobs(for images: [SourceImage]) -> Result<[DecodeJob], JobFailure> {
        guard let preset = selectedPreset, !preset.isVideo else {
            return .failure(
                .invalidImage("images are encoded for the selected preset: select an image preset (sd15, sdxl, flux) in Presets"))
        }
        let backend: BackendIdentity
        switch self.backend {
        case .local(let spec): backend = .local(spec)
        case .remote:
            guard !preset.encodeEndpoints.isEmpty else {
                return .failure(
                    .backendUnavailable(
                        "\(preset.name) has no encode endpoint: set encode_endpoint for it in config.toml, or press b to encode on this machine"
                    ))
            }
            backend = .remote(endpoints: preset.encodeEndpoints)
        }
        return .success(images.map { DecodeJob(encoding: $0, preset: preset, backend: backend) })
    }

    /// How many jobs a backend runs at once: the concurrency of the preset it was chosen for.
    public func concurrency(of job: DecodeJob) -> Int {
        concurrency[job.preset.id] ?? job.preset.concurrency
    }
}

extension LoadedLatent {
    /// Sets the latent2rgb picture and the inspect view's half blocks of it (32×10 cells at most).
    mutating func setPicture(_ image: RGBImage?) {
        picture = image
        thumbnail = image.map { HalfBlocks.render($0, columns: 32, rows: 10) } ?? []
    }
}
