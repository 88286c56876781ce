import Foundation
import LatentKit
import Workbench

/// State + action → new state + effects. Pure: no I/O, no curses, so every interaction is testable.
public enum Reducer {
    public static func reduce(_ state: inout AppState, _ action: Action) -> [Effect] {
        switch action {
        case .resize(let columns, let rows):
            state.columns = columns
            state.rows = rows
            return []
        case .tick:
            advancePlayback(&state)
            return []
        case .message(let message):
            state.status = message
            return []
        case .queue(let event):
            apply(event, to: &state)
            return []
        case .loaded(let latents, let errors):
            state.sources += latents
            if !latents.isEmpty { state.sourceIndex = state.sources.count - latents.count }
            let paths = latents.compactMap(\.source.path)
            state.recentFiles = Array((paths.reversed() + state.recentFiles.filter { !paths.contains($0) }).prefix(10))
            if let error = errors.first {
                state.status = StatusMessage(errors.count == 1 ? error : "\(error) (and \(errors.count - 1) more)", .error)
            } else if !latents.isEmpty {
                state.status = StatusMessage("loaded \(latents.count) latent\(latents.count == 1 ? "" : "s")", .success)
            }
            return []
        case .arrived(let latents, let errors):
            _ = reduce(&state, .loaded(latents, errors: errors))
            return latents.isEmpty ? [] : submit(latents, &state)
        case .listed(let directory, let entries):
            guard case .open(var dialog) = state.overlay, dialog.directory == directory else { return [] }
            dialog.entries = entries
            dialog.index = 0
            state.overlay = .open(dialog)
            return []
        case .click(let column, let row):
            return click(&state, column: column, row: row)
        case .scroll(let up):
            return reduce(&state, .command(up ? .up : .down))
        case .text(let character):
            return type(character, into: &state)
        case .backspace:
            return erase(&state)
        case .command(let command):
            if state.overlay != nil { return overlayCommand(command, &state) }
            return paneCommand(command, &state)
        }
    }

    // MARK: - Queue events

    static func apply(_ event: QueueEvent, to state: inout AppState) {
        switch event {
        case .status(let status):
            if let index = state.jobs.firstIndex(where: { $0.id == status.id }) {
                let previous = state.jobs[index].state
                state.jobs[index] = status
                if previous != status.state, status.state == .done, let file = status.outputs.first(where: { !$0.hasSuffix(".json") }) {
                    state.status = StatusMessage("\(status.name) done → \(file)", .success)
                } else if previous != status.state, status.state == .failed {
                    state.status = StatusMessage("\(status.name) failed: \(status.error ?? "")", .error)
                }
            } else {
                state.jobs.append(status)
            }
        case .removed(let ids):
            let selected = state.selectedJob?.id
            state.jobs.removeAll { ids.contains($0.id) }
            state.jobIndex = selected.flatMap { id in state.visibleJobs.firstIndex { $0.id == id } } ?? 0
        case .journalFailed(let message):
            state.status = StatusMessage(message, .warning)
        case .order(let ids):
            let selected = state.selectedJob?.id
            state.jobs.sort { (ids.firstIndex(of: $0.id) ?? .max) < (ids.firstIndex(of: $1.id) ?? .max) }
            state.jobIndex = selected.flatMap { id in state.visibleJobs.firstIndex { $0.id == id } } ?? state.jobIndex
        }
        state.jobIndex = clamp(state.jobIndex, count: state.visibleJobs.count)
    }

    // MARK: - Panes

    static func paneCommand(_ command: Command, _ state: inout AppState) -> [Effect] {
        let panes = Pane.allCases
        switch command {
        case .help: state.overlay = .help
        case .quit:
            if state.runningJobCount > 0 {
                state.overlay = .confirmQuit
            } else {
                state.shouldQuit = true
                return [.quit]
            }
        case .back: state.status = nil
        case .nextPane: state.focus = panes.cycled(from: state.focus, by: 1)
        case .previousPane: state.focus = panes.cycled(from: state.focus, by: -1)
        case .left: state.focus = state.focus == .jobs ? .presets : (state.focus == .preview ? .sources : state.focus)
        case .right: state.focus = state.focus == .presets ? .jobs : (state.focus == .sources ? .preview : state.focus)
        case .up, .down, .pageUp, .pageDown: move(command, &state)
        case .open:
            let directory =
                state.selectedSource?.source.path.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
                ?? state.browseDirectory ?? FileManager.default.currentDirectoryPath
            let dialog = FileDialog(
                path: directory + "/", directory: directory, entries: [], index: 0, selected: [], recent: state.recentFiles)
            state.overlay = .open(dialog)
            return [.list(directory: directory)]
        case .generate:
            state.overlay = .generate(
                GenerateForm(
                    presetIndex: state.presetIndex, size: TextField("size", "512x512"), frames: TextField("frames", "61"),
                    seed: TextField("seed", "0"), count: TextField("count", "1"), dtype: .float16, focus: 1))
        case .watch:
            state.overlay = .watch(TextField("folder", state.watchedFolder ?? FileManager.default.currentDirectoryPath + "/"))
        case .inspect:
            if let source = state.selectedSource { state.overlay = .inspect(source.id) }
        case .toggleBackend:
            state.backend = state.backendChoices.cycled(from: state.backend, by: 1)
            state.status = backendMessage(state)
        case .toggleSelect:
            if let id = state.selectedSource?.id {
                if state.selectedSources.contains(id) { state.selectedSources.remove(id) } else { state.selectedSources.insert(id) }
            }
        case .decode:
            return decodeSelection(&state)
        case .decodeAll:
            guard !state.sources.isEmpty else {
                state.status = StatusMessage("nothing loaded: press o to open files or g to generate", .warning)
                return []
            }
            return submit(state.sources, &state)
        case .activate:
            switch state.focus {
            case .sources: return decodeSelection(&state)
            case .presets: return paneCommand(.editPreset, &state)
            case .jobs, .preview:
                if state.selectedJob?.state.isFinished == true { state.focus = .preview }
            }
        case .editPreset:
            guard let preset = state.selectedPreset else { return [] }
            state.overlay = .presetForm(
                PresetForm(
                    presetID: preset.id, endpoint: TextField("endpoint", preset.endpoints.first ?? ""),
                    outputType: preset.outputType, imageFormat: preset.imageFormat,
                    concurrency: TextField("concurrency", String(state.concurrency[preset.id] ?? 2)), focus: 0))
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
                state.jobIndex = clamp(state.jobIndex + offset, count: state.visibleJobs.count)
                return [.move(job.id, by: offset)]
            }
        case .clearFinished:
            return [.clearFinished]
        case .save:
            if let job = state.selectedJob {
                if job.state == .done { return [.export(job)] }
                state.status = StatusMessage("only finished jobs can be saved", .warning)
            }
        case .filter:
            state.overlay = .filter(TextField("filter", state.jobFilter))
        case .compare:
            guard let job = state.selectedJob, job.state == .done else { return [] }
            if state.compareMark == nil || state.compareMark == job.id {
                state.compareMark = state.compareMark == job.id ? nil : job.id
                state.status = StatusMessage(
                    state.compareMark == nil ? "compare mark cleared" : "marked \(job.name); select another result and press m", .info)
            } else {
                state.focus = .preview
            }
        case .playPause:
            state.playback.playing.toggle()
        case .nextFrame, .previousFrame:
            state.playback.playing = false
            state.playback.frame = max(0, state.playback.frame + (command == .nextFrame ? 1 : -1))
        }
        return []
    }

    static func decodeSelection(_ state: inout AppState) -> [Effect] {
        let chosen =
            state.selectedSources.isEmpty
            ? state.selectedSource.map { [$0] } ?? [] : state.sources.filter { state.selectedSources.contains($0.id) }
        guard !chosen.isEmpty else {
            state.status = StatusMessage("nothing loaded: press o to open files or g to generate", .warning)
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

    /// The other side of a job's backend: a local job goes to its preset's endpoints, a remote one
    /// to the engine chosen on this machine (latent2rgb when remote is chosen).
    static func sendElsewhere(_ job: JobStatus, _ state: inout AppState) -> [Effect] {
        if job.backend.isLocal {
            guard let preset = state.preset(id: job.presetID), !preset.endpoints.isEmpty else {
                state.status = StatusMessage("\(job.presetID) has no endpoint to send \(job.name) to: press e on the preset to set one", .warning)
                return []
            }
            let target = BackendIdentity.remote(endpoints: preset.endpoints)
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
            state.presetIndex = clamp(state.presetIndex + step, count: state.presets.count)
        case .sources: state.sourceIndex = clamp(state.sourceIndex + step, count: state.sources.count)
        case .jobs, .preview:
            state.jobIndex = clamp(state.jobIndex + step, count: state.visibleJobs.count)
            state.playback = Playback()
        }
    }

    static func clamp(_ index: Int, count: Int) -> Int { count == 0 ? 0 : min(max(index, 0), count - 1) }

    static func advancePlayback(_ state: inout AppState) {
        if state.playback.playing { state.playback.frame += 1 }
    }

    // MARK: - Mouse

    static func click(_ state: inout AppState, column: Int, row: Int) -> [Effect] {
        if state.overlay != nil {
            if case .help = state.overlay { state.overlay = nil }
            return []
        }
        let layout = state.layout
        if layout.status.contains(column: column, row: row) {
            return StatusBar.button(atColumn: column, state: state).map { paneCommand($0, &state) } ?? []
        }
        guard let pane = layout.pane(atColumn: column, row: row) else { return [] }
        state.focus = pane
        let line = row - layout.rect(of: pane).y - 1
        switch pane {
        case .presets where line >= 0: state.presetIndex = clamp(line, count: state.presets.count)
        case .sources where line >= 0: state.sourceIndex = clamp(line, count: state.sources.count)
        case .jobs where line >= 0: state.jobIndex = clamp(line / 2, count: state.visibleJobs.count)
        default: break
        }
        return []
    }

    // MARK: - Overlays

    static func overlayCommand(_ command: Command, _ state: inout AppState) -> [Effect] {
        guard let overlay = state.overlay else { return [] }
        if command == .back {
            state.overlay = nil
            return []
        }
        switch overlay {
        case .help, .inspect:
            if command == .help || command == .activate || command == .quit { state.overlay = nil }
        case .confirmQuit:
            if command == .activate || command == .quit {
                state.shouldQuit = true
                return [.quit]
            }
        case .filter(let field):
            if command == .activate {
                state.jobFilter = field.text
                state.jobIndex = 0
                state.overlay = nil
            }
        case .watch(let field):
            if command == .activate {
                state.overlay = nil
                state.watchedFolder = field.text
                return [.watch(folder: field.text)]
            }
        case .sendTo:
            state.overlay = nil
        case .open(var dialog):
            return fileDialog(command, &dialog, &state)
        case .generate(var form):
            return generateForm(command, &form, &state)
        case .presetForm(var form):
            return presetForm(command, &form, &state)
        }
        return []
    }

    static func fileDialog(_ command: Command, _ dialog: inout FileDialog, _ state: inout AppState) -> [Effect] {
        let visible = dialog.visible
        switch command {
        case .up, .down:
            dialog.index = clamp(dialog.index + (command == .up ? -1 : 1), count: visible.count)
        case .nextPane:
            dialog.path = dialog.completed()
            state.overlay = .open(dialog)
            return listIfDirectoryChanged(&dialog, &state)
        case .toggleSelect:
            if visible.indices.contains(dialog.index), !visible[dialog.index].isDirectory {
                let path = dialog.path(of: visible[dialog.index])
                if let at = dialog.selected.firstIndex(of: path) { dialog.selected.remove(at: at) } else { dialog.selected.append(path) }
            }
        case .activate:
            if !dialog.selected.isEmpty {
                state.overlay = nil
                return [.load(paths: dialog.selected)]
            }
            if visible.indices.contains(dialog.index) {
                let entry = visible[dialog.index]
                let path = dialog.path(of: entry)
                if entry.isDirectory {
                    dialog.path = path + "/"
                    state.overlay = .open(dialog)
                    return listIfDirectoryChanged(&dialog, &state)
                }
                state.overlay = nil
                return [.load(paths: [path])]
            }
            if !dialog.path.hasSuffix("/") {
                state.overlay = nil
                return [.load(paths: [dialog.path])]
            }
        default: break
        }
        state.overlay = .open(dialog)
        return []
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func listIfDirectoryChanged(_ dialog: inout FileDialog, _ state: inout AppState) -> [Effect] {
        let directory =
            dialog.path.hasSuffix("/") ? String(dialog.path.dropLast()) : URL(fileURLWithPath: dialog.path).deletingLastPathComponent().path
        let normalized = directory.isEmpty ? "/" : directory
        guard normalized != dialog.directory else { return [] }
        dialog.directory = normalized
        dialog.entries = []
        dialog.index = 0
        state.overlay = .open(dialog)
        return [.list(directory: normalized)]
    }

    static func generateForm(_ command: Command, _ form: inout GenerateForm, _ state: inout AppState) -> [Effect] {
        switch command {
        case .nextPane, .down: form.focus = wrapped(form.focus, by: 1, count: GenerateForm.fieldCount)
        case .previousPane, .up: form.focus = wrapped(form.focus, by: -1, count: GenerateForm.fieldCount)
        case .left, .right:
            let step = command == .left ? -1 : 1
            if form.focus == 0 { form.presetIndex = wrapped(form.presetIndex, by: step, count: state.presets.count) }
            if form.focus == 5 {
                form.dtype = [DType.float32, .float16, .bfloat16].cycled(from: form.dtype, by: step)
            }
        case .activate:
            guard state.presets.indices.contains(form.presetIndex) else { return [] }
            let preset = state.presets[form.presetIndex]
            do {
                let (width, height) = try GenerationRequest.parseSize(form.size.text)
                guard let seed = UInt64(form.seed.text), let count = Int(form.count.text), (1...64).contains(count) else {
                    state.status = StatusMessage("seed must be a whole number and count 1…64", .error)
                    state.overlay = .generate(form)
                    return []
                }
                let frames = preset.isVideo ? Int(form.frames.text) : nil
                _ = try GenerationRequest(preset: preset, width: width, height: height, frames: frames).sampleShape()
                state.overlay = nil
                return [
                    .generate(
                        GenerateRequest(
                            presetID: preset.id, width: width, height: height, frames: frames, seed: seed, count: count, dtype: form.dtype))
                ]
            } catch {
                state.status = StatusMessage("\(error)", .error)
            }
        default: break
        }
        state.overlay = .generate(form)
        return []
    }

    static func presetForm(_ command: Command, _ form: inout PresetForm, _ state: inout AppState) -> [Effect] {
        switch command {
        case .nextPane, .down: form.focus = wrapped(form.focus, by: 1, count: PresetForm.fieldCount)
        case .previousPane, .up: form.focus = wrapped(form.focus, by: -1, count: PresetForm.fieldCount)
        case .left, .right:
            let step = command == .left ? -1 : 1
            if form.focus == 1 { form.outputType = OutputType.allCases.cycled(from: form.outputType, by: step) }
            if form.focus == 2 { form.imageFormat = form.imageFormat == .jpg ? .png : .jpg }
        case .activate:
            let endpoint = form.endpoint.text.trimmingCharacters(in: .whitespaces)
            if !endpoint.isEmpty, URL(string: endpoint)?.scheme?.hasPrefix("http") != true {
                state.status = StatusMessage("'\(endpoint)' is not an http(s) URL", .error)
                state.overlay = .presetForm(form)
                return []
            }
            guard let concurrency = Int(form.concurrency.text), (1...64).contains(concurrency) else {
                state.status = StatusMessage("concurrency must be 1…64", .error)
                state.overlay = .presetForm(form)
                return []
            }
            if let index = state.presets.firstIndex(where: { $0.id == form.presetID }) {
                state.presets[index].endpoints = endpoint.isEmpty ? [] : [endpoint]
                state.presets[index].outputType = form.outputType
                state.presets[index].imageFormat = form.imageFormat
            }
            state.concurrency[form.presetID] = concurrency
            if state.backendChoices.last != .remote, !endpoint.isEmpty { state.backendChoices.append(.remote) }
            state.overlay = nil
            return [.savePreset(form)]
        default: break
        }
        state.overlay = .presetForm(form)
        return []
    }

    // MARK: - Text entry

    static func type(_ character: Character, into state: inout AppState) -> [Effect] {
        switch state.overlay {
        case .open(var dialog):
            if character == " " { return fileDialog(.toggleSelect, &dialog, &state) }
            dialog.path.append(character)
            dialog.index = 0
            state.overlay = .open(dialog)
            return character == "/" ? listIfDirectoryChanged(&dialog, &state) : []
        case .filter(var field):
            field.text.append(character)
            state.overlay = .filter(field)
            state.jobFilter = field.text
            state.jobIndex = 0
        case .watch(var field):
            field.text.append(character)
            state.overlay = .watch(field)
        case .generate(var form):
            switch form.focus {
            case 1: form.size.text.append(character)
            case 2: if character.isNumber { form.frames.text.append(character) }
            case 3: if character.isNumber { form.seed.text.append(character) }
            case 4: if character.isNumber { form.count.text.append(character) }
            default: break
            }
            state.overlay = .generate(form)
        case .presetForm(var form):
            if form.focus == 0 { form.endpoint.text.append(character) }
            if form.focus == 3, character.isNumber { form.concurrency.text.append(character) }
            state.overlay = .presetForm(form)
        default: break
        }
        return []
    }

    static func erase(_ state: inout AppState) -> [Effect] {
        switch state.overlay {
        case .open(var dialog):
            if !dialog.path.isEmpty { dialog.path.removeLast() }
            state.overlay = .open(dialog)
            return listIfDirectoryChanged(&dialog, &state)
        case .filter(var field):
            if !field.text.isEmpty { field.text.removeLast() }
            state.jobFilter = field.text
            state.overlay = .filter(field)
        case .watch(var field):
            if !field.text.isEmpty { field.text.removeLast() }
            state.overlay = .watch(field)
        case .generate(var form):
            switch form.focus {
            case 1: if !form.size.text.isEmpty { form.size.text.removeLast() }
            case 2: if !form.frames.text.isEmpty { form.frames.text.removeLast() }
            case 3: if !form.seed.text.isEmpty { form.seed.text.removeLast() }
            case 4: if !form.count.text.isEmpty { form.count.text.removeLast() }
            default: break
            }
            state.overlay = .generate(form)
        case .presetForm(var form):
            if form.focus == 0, !form.endpoint.text.isEmpty { form.endpoint.text.removeLast() }
            if form.focus == 3, !form.concurrency.text.isEmpty { form.concurrency.text.removeLast() }
            state.overlay = .presetForm(form)
        default: break
        }
        return []
    }

    /// Whether typed characters go into a text field (instead of running key bindings).
    public static func acceptsText(_ state: AppState) -> Bool {
        switch state.overlay {
        case .open, .filter, .watch: return true
        case .generate(let form): return (1...4).contains(form.focus)
        case .presetForm(let form): return form.focus == 0 || form.focus == 3
        default: return false
        }
    }
}

/// `index` moved `step` places around `count` places, wrapping both ways (0 when there are none).
func wrapped(_ index: Int, by step: Int, count: Int) -> Int {
    count == 0 ? 0 : ((index + step) % count + count) % count
}

extension Array where Element: Equatable {
    /// The element `step` places from `value`, wrapping around (counted from the first when `value` is absent).
    func cycled(from value: Element, by step: Int) -> Element {
        self[wrapped(firstIndex(of: value) ?? 0, by: step, count: count)]
    }
}
