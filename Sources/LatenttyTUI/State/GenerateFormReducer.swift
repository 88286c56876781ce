import LatentKit

/// The generate dialog: Tab/↑↓ move between fields, ←→ choose preset and dtype, Enter generates.
enum GenerateFormReducer {
    static func command(_ command: Command, _ form: inout GenerateForm, _ state: inout AppState) -> [Effect] {
        switch command {
        case .nextPane, .down: form.focus = form.focus.cycled(by: 1)
        case .previousPane, .up: form.focus = form.focus.cycled(by: -1)
        case .left, .right:
            let step = command == .left ? -1 : 1
            switch form.focus {
            case .preset: choosePreset(wrapped(form.presetIndex, by: step, count: state.presets.count), &form, state)
            case .dtype: form.dtype = GenerateForm.dtypes.cycled(from: form.dtype, by: step)
            default: break
            }
        case .activate:
            if let request = validated(form, &state) {
                state.lastGenerate = form
                state.overlay = nil
                return [.generate(request, presets: state.presets)]
            }
        default: break
        }
        state.overlay = .generate(form)
        return []
    }

    /// A new preset brings its own default size, unless the user typed one.
    static func choosePreset(_ index: Int, _ form: inout GenerateForm, _ state: AppState) {
        form.presetIndex = index
        guard !form.sizeEdited, state.presets.indices.contains(index) else { return }
        form.size.text = GenerateForm.defaultSize(for: state.presets[index])
    }

    /// The request the form describes, or nil with the reason in the status line.
    static func validated(_ form: GenerateForm, _ state: inout AppState) -> GenerateRequest? {
        guard state.presets.indices.contains(form.presetIndex) else { return nil }
        let preset = state.presets[form.presetIndex]
        do {
            let (width, height) = try GenerationRequest.parseSize(form.size.text)
            guard let seed = UInt64(form.seed.text), let count = Int(form.count.text), (1...64).contains(count) else {
                state.status = StatusMessage("seed must be a whole number and count 1…64", .error)
                return nil
            }
            let frames = preset.isVideo ? Int(form.frames.text) : nil
            _ = try GenerationRequest(preset: preset, width: width, height: height, frames: frames).sampleShape()
            return GenerateRequest(
                presetID: preset.id, width: width, height: height, frames: frames, seed: seed, count: count, dtype: form.dtype)
        } catch {
            state.status = StatusMessage("\(error)", .error)
            return nil
        }
    }
}
