import Foundation

/// The open dialog: ↑↓ choose, Tab completes, space selects, Enter opens (or descends).
enum FileDialogReducer {
    static func command(_ command: Command, _ dialog: inout FileDialog, _ state: inout AppState) -> [Effect] {
        let visible = dialog.visible
        switch command {
        case .up, .down:
            dialog.index = Reducer.clamp(dialog.index + (command == .up ? -1 : 1), count: visible.count)
        case .pageUp, .pageDown:
            dialog.index = Reducer.clamp(dialog.index + (command == .pageUp ? -10 : 10), count: visible.count)
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
                return [.load(paths: dialog.selected, presets: state.presets)]
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
                return [.load(paths: [path], presets: state.presets)]
            }
            if !dialog.path.hasSuffix("/") {
                state.overlay = nil
                return [.load(paths: [dialog.path], presets: state.presets)]
            }
            state.status = StatusMessage("no latent or image files here: type a path, or Tab to complete one", .warning)
        default: break
        }
        state.overlay = .open(dialog)
        return []
    }

    /// A directory listing arrived; it is used only if the dialog still shows that directory.
    static func listed(directory: String, entries: [FileDialog.Entry], _ state: inout AppState) {
        guard case .open(var dialog) = state.overlay, dialog.directory == directory else { return }
        dialog.entries = entries
        dialog.index = 0
        state.overlay = .open(dialog)
    }

    static func listIfDirectoryChanged(_ dialog: inout FileDialog, _ state: inout AppState) -> [Effect] {
        let directory = dialog.typedDirectory
        guard directory != dialog.directory else { return [] }
        dialog.directory = directory
        dialog.entries = []
        dialog.index = 0
        state.overlay = .open(dialog)
        return [.list(directory: directory)]
    }
}
