import Foundation
import LatentKit

/// The preset editor: Tab/↑↓ move between fields, ←→ choose output type and format, Enter saves.
enum PresetFormReducer {
    static func command(_ command: Command, _ form: inout PresetForm, _ state: inout AppState) -> [Effect] {
        switch command {
        case .nextPane, .down: form.focus = form.focus.cycled(by: 1)
        case .previousPane, .up: form.focus = form.focus.cycled(by: -1)
        case .left, .right:
            let step = command == .left ? -1 : 1
            switch form.focus {
            case .outputType: form.outputType = OutputType.allCases.cycled(from: form.outputType, by: step)
            case .imageFormat: form.imageFormat = ImageFormat.allCases.cycled(from: form.imageFormat, by: step)
            case .endpoint, .concurrency: break
            }
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
            guard let index = state.presets.firstIndex(where: { $0.id == form.presetID }) else {
                state.overlay = nil
                return []
            }
            state.presets[index].endpoints = endpoint.isEmpty ? [] : [endpoint]
            state.presets[index].outputType = form.outputType
            state.presets[index].imageFormat = form.imageFormat
            state.presets[index].concurrency = concurrency
            state.concurrency[form.presetID] = concurrency
            if !endpoint.isEmpty, !state.backendChoices.contains(.remote) { state.backendChoices.append(.remote) }
            state.overlay = nil
            return [.savePreset(state.presets[index])]
        default: break
        }
        state.overlay = .presetForm(form)
        return []
    }
}
