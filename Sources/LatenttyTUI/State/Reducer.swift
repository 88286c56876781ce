import Foundation
import LatentKit
import Workbench

/// State + action → new state + effects. Pure: no I/O, no curses, no clock (time arrives with
/// `.tick`), so every interaction is testable. Each concern has its own file: `PaneReducer`,
/// `MouseReducer`, `QueueEventReducer`, `OverlayReducer` and one per dialog, `TextEntryReducer`.
public enum Reducer {
    public static func reduce(_ state: inout AppState, _ action: Action) -> [Effect] {
        switch action {
        case .resize(let columns, let rows):
            state.columns = columns
            state.rows = rows
            return []
        case .tick(let now):
            tick(&state, now: now)
            return []
        case .message(let message):
            state.status = message
            return []
        case .queue(let event):
            return QueueEventReducer.apply(event, to: &state)
        case .loaded(let latents, let images, let errors):
            return loaded(latents, images: images, errors: errors, &state)
        case .encoded(let latent):
            return EncodeReducer.encoded(latent, &state)
        case .enginesFound(let specs):
            for spec in specs where !state.backendChoices.contains(.local(spec)) {
                let beforeRemote = state.backendChoices.firstIndex(of: .remote) ?? state.backendChoices.endIndex
                state.backendChoices.insert(.local(spec), at: beforeRemote)
            }
            return []
        case .arrived(let latents, let errors):
            _ = loaded(latents, errors: errors, &state)
            return latents.isEmpty ? [] : PaneReducer.submit(latents, &state)
        case .listed(let directory, let entries):
            FileDialogReducer.listed(directory: directory, entries: entries, &state)
            return []
        case .click(let column, let row):
            return MouseReducer.click(&state, column: column, row: row)
        case .scroll(let up):
            return reduce(&state, .command(up ? .up : .down))
        case .text(let character):
            return TextEntryReducer.type(character, into: &state)
        case .backspace:
            return TextEntryReducer.erase(&state)
        case .command(let command):
            if state.overlay != nil { return OverlayReducer.command(command, &state) }
            return PaneReducer.command(command, &state)
        }
    }

    /// Time passing: video frames advance, status messages expire.
    static func tick(_ state: inout AppState, now: Date) {
        state.status = state.status?.aged(to: now)
        guard state.playback.playing else { return }
        guard let last = state.playback.lastAdvance else {
            state.playback.lastAdvance = now
            return
        }
        let due = Int(now.timeIntervalSince(last) / Playback.frameInterval)
        guard due > 0 else { return }
        state.playback.frame += due
        state.playback.lastAdvance = last.addingTimeInterval(Double(due) * Playback.frameInterval)
    }

    static func loaded(_ latents: [LoadedLatent], images: [SourceImage] = [], errors: [String], _ state: inout AppState) -> [Effect] {
        state.sources += latents
        if !latents.isEmpty { state.sourceIndex = state.sources.count - latents.count }
        let paths = latents.compactMap(\.source.path) + images.map(\.path)
        state.recentFiles = Array((paths.reversed() + state.recentFiles.filter { !paths.contains($0) }).prefix(10))
        if let error = errors.first {
            state.status = StatusMessage(errors.count == 1 ? error : "\(error) (and \(errors.count - 1) more)", .error)
        } else if !latents.isEmpty {
            state.status = StatusMessage("loaded \(latents.count) latent\(latents.count == 1 ? "" : "s")", .success)
        }
        var effects = EncodeReducer.encode(images, reportingOver: errors.isEmpty, &state)
        guard state.autoDecode, !latents.isEmpty else { return effects }
        state.autoDecode = false
        effects += PaneReducer.submit(latents, &state)
        return effects
    }

    /// Whether typed characters go into a text field (instead of running key bindings).
    public static func acceptsText(_ state: AppState) -> Bool { TextEntryReducer.acceptsText(state) }

    static func clamp(_ index: Int, count: Int) -> Int { count == 0 ? 0 : min(max(index, 0), count - 1) }
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

extension CaseIterable where Self: Equatable, AllCases == [Self] {
    /// The case `step` places on, wrapping around.
    func cycled(by step: Int) -> Self { Self.allCases.cycled(from: self, by: step) }
}
