import Foundation
import LatentKit
import NativeVAE
import RemoteDecode
import Workbench

/// Builds what the workbench runs on from its options — presets with `--endpoint` applied, the
/// backend choices, the queue over one registry of long-lived backends, the first state — and
/// connects the queue to the inbox and the journal. No curses here, so all of it is tested.
struct WorkbenchWiring {
    let options: TUIOptions

    /// The presets with `--endpoint` in place of the named preset's endpoints (every preset's when none is named).
    var presets: [Preset] {
        var presets = options.catalog.presets
        guard !options.endpoints.isEmpty else { return presets }
        for index in presets.indices where options.presetID == nil || presets[index].id == options.presetID {
            presets[index].endpoints = options.endpoints
        }
        return presets
    }

    /// Local with the chosen engine when asked (or when nothing points elsewhere), else each preset's endpoints.
    var initialBackend: BackendChoice {
        let local = BackendChoice.local(options.localEngine?.spec ?? .approx)
        let engineChosen = options.localEngine.map { $0.spec != .approx } ?? false
        if options.local || engineChosen { return local }
        return !options.endpoints.isEmpty || options.presetID != nil ? .remote : local
    }

    /// One registry for the whole session: a backend per identity, the preloaded engine among them.
    func makeQueue() -> DecodeQueue {
        let registry = BackendRegistry.standard(remote: options.remote)
        if let preloaded = options.localEngine { registry.register(LocalBackend(engine: preloaded.engine, spec: preloaded.spec)) }
        return DecodeQueue(
            registry: registry, writer: OutputWriter(directory: options.outputDirectory),
            journal: options.journalDirectory.map(JobJournal.init(directory:)))
    }

    /// The full and tiny engines some preset has cached weights for (found, never downloaded).
    static func cachedEngines(_ availability: [ModelDiscovery.Availability]) -> [LocalEngineSpec] {
        var engines: [LocalEngineSpec] = []
        if availability.contains(where: { $0.full != nil }) { engines.append(LocalEngineSpec(engine: .full)) }
        if availability.contains(where: { $0.tiny != nil }) { engines.append(LocalEngineSpec(engine: .tiny)) }
        return engines
    }

    func initialState(columns: Int, rows: Int, workingDirectory: String) -> AppState {
        let presets = presets
        let backend = initialBackend
        let localChoice = BackendChoice.local(options.localEngine?.spec ?? .approx)
        var state = AppState(
            columns: columns, rows: rows, presets: presets, backend: backend,
            backendChoices: AppState.choices(localEngine: localChoice, presets: presets), keyMap: options.keyMap,
            workingDirectory: workingDirectory)
        state.autoDecode = options.decode && !options.files.isEmpty
        if let id = options.presetID, let index = presets.firstIndex(where: { $0.id == id }) { state.presetIndex = index }
        state.browseDirectory = options.samplesDirectory
        for preset in presets { state.concurrency[preset.id] = preset.concurrency }
        var greeting = PaneReducer.backendMessage(state)
        greeting.text += " · ? for keys"
        state.status = greeting
        return state
    }

    /// Forwards every queue event to the UI; a video's frames go to the preview store instead (the
    /// state holds no pixels), before the status that counts them.
    static func forwardEvents(of queue: DecodeQueue, to inbox: Inbox, previews: PreviewStore) {
        Task.detached {
            for await event in await queue.events() { route(event, to: inbox, previews: previews) }
        }
    }

    static func route(_ event: QueueEvent, to inbox: Inbox, previews: PreviewStore) {
        if case .frames(let id, let batch) = event {
            previews.append(id, batch)
        } else {
            inbox.post(.queue(event))
        }
    }

    /// Reads the journal off the UI thread (a long history must not delay the first frame) and
    /// brings every job back in its original order, each on the backend it was recorded with.
    static func restore(_ queue: DecodeQueue, journalDirectory: URL, inbox: Inbox) async {
        let unusable = await queue.restoreJournal()
        if unusable > 0 {
            inbox.post(
                .message(
                    StatusMessage(
                        "\(unusable) journal record\(unusable == 1 ? "" : "s") in \(journalDirectory.path) could not be restored", .warning)
                ))
        }
    }
}
