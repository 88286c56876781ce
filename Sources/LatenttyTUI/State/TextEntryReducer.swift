/// Characters typed into the open dialog's text field, and backspace.
enum TextEntryReducer {
    static func type(_ character: Character, into state: inout AppState) -> [Effect] {
        switch state.overlay {
        case .open(var dialog):
            if character == " " { return FileDialogReducer.command(.toggleSelect, &dialog, &state) }
            dialog.path.append(character)
            dialog.index = 0
            state.overlay = .open(dialog)
            return character == "/" ? FileDialogReducer.listIfDirectoryChanged(&dialog, &state) : []
        case .filter(var field):
            field.append(character)
            state.overlay = .filter(field)
            state.jobFilter = field.text
            state.jobIndex = 0
        case .watch(var field):
            field.append(character)
            state.overlay = .watch(field)
        case .generate(var form):
            guard let field = form.focusedText else { return [] }
            // Only the size takes more than digits (the `x`).
            guard form.focus == .size || character.isNumber else { return [] }
            form[keyPath: field].append(character)
            if form.focus == .size { form.sizeEdited = true }
            state.overlay = .generate(form)
        case .presetForm(var form):
            guard let field = form.focusedText, form.focus == .endpoint || character.isNumber else { return [] }
            form[keyPath: field].append(character)
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
            return FileDialogReducer.listIfDirectoryChanged(&dialog, &state)
        case .filter(var field):
            field.eraseLast()
            state.jobFilter = field.text
            state.overlay = .filter(field)
        case .watch(var field):
            field.eraseLast()
            state.overlay = .watch(field)
        case .generate(var form):
            guard let field = form.focusedText else { return [] }
            form[keyPath: field].eraseLast()
            if form.focus == .size { form.sizeEdited = true }
            state.overlay = .generate(form)
        case .presetForm(var form):
            guard let field = form.focusedText else { return [] }
            form[keyPath: field].eraseLast()
            state.overlay = .presetForm(form)
        default: break
        }
        return []
    }

    /// Whether typed characters go into a text field (instead of running key bindings).
    static func acceptsText(_ state: AppState) -> Bool {
        switch state.overlay {
        case .open, .filter, .watch: return true
        case .generate(let form): return form.focus.isText
        case .presetForm(let form): return form.focusedText != nil
        default: return false
        }
    }
}
