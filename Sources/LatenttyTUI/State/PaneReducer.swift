import Foundation
import LatentKit
import Workbench

/// Commands while no dialog is open: they act on the focused pane's selection. Every command either
/// does something or says in the status line why it cannot.
enum PaneReducer {
    static func command(_ command: Command, _ state: inout AppState) -> [Effect] {
        if let refusal = jobCommandRefusal(command, state) {
            state.status = refusal
            return []
        }
        let panes = Pane.allCases
        switch command {
        case .help: state.overlay = .help(scroll: 0)
        case .quit:
            if state.unfinishedJobCount > 0 {
                state.overlay = .confirmQuit
            } else {
                state.shouldQuit = true
                return [.quit]
            }
        case .back:
            if state.compareMark != nil || state.comparison != nil {
                CompareReducer.leave(&state)
            } else {
                state.status = nil
            }
        case .nextPane: state.focus = panes.cycled(from: state.focus, by: 1)
        case .previousPane: state.focus = panes.cycled(from: state.focus, by: -1)
        case .left: state.focus = state.focus == .jobs ? .presets : (state.focus == .preview ? .sources : state.focus)
        case .right: state.focus = state.focus == .presets ? .jobs : (state.focus == .sources ? .preview : state.focus)
        case .up, .down, .pageUp, .pageDown: move(command, &state)
        case .open:
            let directory =
                state.selectedSource?.source.path.map { FileDialog.folder(of: $0, workingDirectory: state.workingDirectory) }
                ?? state.browseDirectory ?? state.workingDirectory
            state.overlay = .open(FileDialog(directory: directory, recent: state.recentFiles))
            return [.list(directory: directory)]
        case .generate:
            var form = state.lastGenerate ?? GenerateForm(presetIndex: state.presetIndex, presets: state.presets)
            form.focus = .size
            state.overlay = .generate(form)
        case .watch:
            state.overlay = .watch(TextField("folder", state.watchedFolder ?? FileDialog.join(state.workingDirectory, "")))
        case .inspect:
            guard let source = state.selectedSource else {
                state.status = nothingLoaded
                return []
            }
            state.overlay = .inspect(source.id)
        case .toggleBackend:
            state.backend = state.backendChoices.cycled(from: state.backend, by: 1)
            state.status = backendMessage(state)
        case .toggleSelect:
            guard let id = state.selectedSource?.id else {
                state.status = nothingLoaded
                return []
            }
            if state.selectedSources.contains(id) { state.selectedSources.remove(id) } else { state.selectedSources.insert(id) }
        case .decode:
            return decodeSelection(&state)
        case .decodeAll:
            guard !state.sources.isEmpty else {
                state.status = nothingLoaded
                return []
            }
            return submit(state.sources, &state)
        case .activate:
            return activate(&state)
        case .editPreset:
            guard let preset = state.selectedPreset else { return [] }
            state.overlay = .presetForm(
                PresetForm(
                    presetID: preset.id, endpoint: TextField("endpoint", preset.endpoints.first ?? ""),
                    outputType: preset.outputType, imageFormat: preset.imageFormat,
                    concurrency: TextField("concurrency", String(state.concurrency[preset.id] ?? 2)), focus: .endpoint))
        case .cancel:
            if let job = state.selectedJob, !job.state.isFinished { return [.cancel(job.id)] }
        case .retry:
            if let job = state.selectedJob, job.state.isFinished {
                return [.resubmit(job.id, to: job.backend, concurrency: job.backend.isLocal ? nil : remoteConcurrency(job, state))]
            }
        case .sendElsewhere:
            if let job = state.selectedJob { return sendElsewhere(job, &state) }
        case .moveEarlier, .moveLater:
            if let job = state.selectedJob {
                let offset = command == .moveEarlier ? -1 : 1
                state.jobIndex = Reducer.clamp(state.jobIndex + offset, count: state.visibleJobs.count)
                return [.move(job.id, by: offset)]
            }
        case .clearFinished:
            guard state.jobs.contains(where: \.state.isFinished) else {
                state.status = StatusMessage("no finished jobs to clear", .info)
                return []
            }
            return [.clearFinished]
        case .save:
            if let job = state.selectedJob {
                if job.state == .done { return [.export(job)] }
                state.status = StatusMessage("only finished jobs can be saved", .warning)
            }
        case .filter:
            state.overlay = .filter(TextField("filter", state.jobFilter))
        case .compare:
            CompareReducer.compare(&state)
        case .allowPictures:
            guard state.picturesBlockedByTmux else {
                state.status = StatusMessage("pictures are not blocked by tmux here; latentty doctor says how they are drawn")
                return []
            }
            state.picturesBlockedByTmux = false
            return [.allowTmuxPassthrough]
        case .playPause:
            state.playback.playing.toggle()
            state.playback.lastAdvance = nil
            state.status = StatusMessage(state.playback.playing ? "playing (space pauses)" : "paused at frame \(state.playback.frame + 1)")
        case .nextFrame, .previousFrame:
            state.playback.playing = false
            state.playback.lastAdvance = nil
            if command == .previousFrame, state.playback.frame == 0 {
                state.status = StatusMessage("at the first frame")
                return []
            }
            state.playback.frame += command == .nextFrame ? 1 : -1
        }
        return []
    }

    static let nothingLoaded = StatusMessage("nothing loaded: press o to open files or g to generate", .warning)

    /// Why a job command cannot run on the selection, if it cannot: said instead of doing nothing.
    static func jobCommandRefusal(_ command: Command, _ state: AppState) -> StatusMessage? {
        let jobCommands: Set<Command> = [
            .cancel, .retry, .sendElsewhere, .moveEarlier, .moveLater, .save, .compare, .filter, .playPause, .nextFrame, .previousFrame,
        ]
        guard jobCommands.contains(command) else { return nil }
        guard let job = state.selectedJob else {
            if command == .filter, !state.jobs.isEmpty { return nil }
            return StatusMessage("no jobs yet: select a latent and press d to decode it", .warning)
        }
        switch command {
        case .cancel where job.state.isFinished:
            return StatusMessage("\(job.name) is \(JobText.stateWord(job)) already; r runs it again", .info)
        case .retry where !job.state.isFinished:
            return StatusMessage("\(job.name) is still \(JobText.stateWord(job)); c cancels it", .info)
        default:
            return nil
        }
    }

    static func activate(_ state: inout AppState) -> [Effect] {
        switch state.focus {
        case .sources: return decodeSelection(&state)
        case .presets: return command(.editPreset, &state)
        case .jobs, .preview:
            guard let job = state.selectedJob else {
                state.status = StatusMessage("no jobs yet: select a latent and press d to decode it", .warning)
                return []
            }
            if job.state.isFinished {
                state.focus = .preview
            } else {
                state.status = StatusMessage("\(job.name) is still \(JobText.stateWord(job)); its result shows here when done", .info)
            }
            return []
        }
    }

    static func decodeSelection(_ state: inout AppState) -> [Effect] {
        let chosen =
            state.selectedSources.isEmpty
            ? state.selectedSource.map { [$0] } ?? [] : state.sources.filter { state.selectedSources.contains($0.id) }
        guard !chosen.isEmpty else {
            state.status = nothingLoaded
            return []
        }
        let effects = submit(chosen, &state)
        if !effects.isEmpty { state.selectedSources = [] }
        return effects
    }

    /// Jobs for `sources`, each going where its own preset says; a warning instead when one cannot go anywhere.
    static func submit(_ sources: [LoadedLatent], _ state: inout AppState) -> [Effect] {
        switch state.jobs(for: sources) {
        case .failure(let failure):
            state.status = StatusMessage(failure.description, .warning)
            return []
        case .success(let jobs):
            var limits: [BackendIdentity: Int] = [:]
            for job in jobs where !job.backend.isLocal { limits[job.backend] = state.concurrency(of: job) }
            return [.submit(jobs, concurrency: limits)]
        }
    }

    /// The other side of a job's backend: a local job goes to its preset's endpoints (encode
    /// endpoints for an encode), a remote one to the engine chosen on this machine (latent2rgb when
    /// remote is chosen).
    static func sendElsewhere(_ job: JobStatus, _ state: inout AppState) -> [Effect] {
        if job.backend.isLocal {
            let preset = state.preset(id: job.presetID)
            let endpoints = (job.kind == .encode ? preset?.encodeEndpoints : preset?.endpoints) ?? []
            guard !endpoints.isEmpty else {
                state.status = StatusMessage(
                    job.kind == .encode
                        ? "\(job.presetID) has no encode endpoint to send \(job.name) to: set encode_endpoint for it in config.toml"
                        : "\(job.presetID) has no endpoint to send \(job.name) to: press e on the preset to set one", .warning)
                return []
            }
            let target = BackendIdentity.remote(endpoints: endpoints)
            return [.resubmit(job.id, to: target, concurrency: remoteConcurrency(job, state))]
        }
        let spec: LocalEngineSpec
        if case .local(let chosen) = state.backend { spec = chosen } else { spec = .approx }
        return [.resubmit(job.id, to: .local(spec), concurrency: nil)]
    }

    static func remoteConcurrency(_ job: JobStatus, _ state: AppState) -> Int {
        state.concurrency[job.presetID] ?? state.preset(id: job.presetID)?.concurrency ?? 2
    }

    /// Where decodes go now, for the status line.
    static func backendMessage(_ state: AppState) -> StatusMessage {
        switch state.backend {
        case .local(let spec):
            return StatusMessage("decoding on \(BackendIdentity.local(spec)) · b switches", .info)
        case .remote:
            let missing = state.presets.filter(\.endpoints.isEmpty).map(\.name)
            let note = missing.isEmpty ? "" : " (none for \(missing.joined(separator: ", ")))"
            return StatusMessage("decoding on each latent's own preset endpoints\(note) · b switches", .info)
        }
    }

    static func move(_ command: Command, _ state: inout AppState) {
        let step: Int
        switch command {
        case .up: step = -1
        case .down: step = 1
        case .pageUp: step = -10
        default: step = 10
        }
        switch state.focus {
        case .presets:
            state.presetIndex = Reducer.clamp(state.presetIndex + step, count: state.presets.count)
        case .sources: state.sourceIndex = Reducer.clamp(state.sourceIndex + step, count: state.sources.count)
        case .jobs, .preview:
            state.jobIndex = Reducer.clamp(state.jobIndex + step, count: state.visibleJobs.count)
            state.playback = Playback()
        }
    }
}
