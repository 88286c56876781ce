/// The `?` box: every bound key, grouped by what it is for, in the order a new user needs them.
enum HelpText {
    static let groups: [(title: String, commands: [Command])] = [
        ("navigation", [.nextPane, .previousPane, .left, .right, .up, .down, .pageUp, .pageDown, .activate, .back]),
        ("sources", [.open, .generate, .watch, .inspect, .toggleSelect]),
        ("decoding", [.decode, .decodeAll, .toggleBackend, .editPreset]),
        ("jobs", [.cancel, .retry, .sendElsewhere, .moveEarlier, .moveLater, .clearFinished, .filter]),
        ("preview", [.save, .compare, .playPause, .nextFrame, .previousFrame, .allowPictures]),
        ("app", [.help, .quit]),
    ]

    /// The box's width; lines longer than its inside end in an ellipsis.
    static let width = 76

    static func lines(for state: AppState) -> [String] {
        var lines: [String] = []
        for group in groups {
            let described = group.commands.compactMap { describe($0, state.keyMap) }
            guard !described.isEmpty else { continue }
            lines.append(group.title)
            lines += described
        }
        return lines + ["mouse", "  click a pane or a row to select it, a status-line button to run it; the wheel scrolls"]
    }

    /// `  c           cancel the selected job (jobs)`: keys, what they do, and where when they work
    /// only in some panes. Nil when no key is bound.
    static func describe(_ command: Command, _ map: KeyMap) -> String? {
        let globalKeys = map.global.filter { $0.value == command }.map(\.key)
        let panes = Pane.allCases.filter { map.panes[$0]?.values.contains(command) == true }
        let paneKeys = panes.flatMap { pane in map.panes[pane]!.filter { $0.value == command }.map(\.key) }
        let labels = Set((globalKeys + paneKeys).map(\.label)).sorted()
        guard !labels.isEmpty else { return nil }
        let keys = labels.joined(separator: " ")
        let panesNote = globalKeys.isEmpty ? " (\(panes.map(\.rawValue).joined(separator: ", ")))" : ""
        return "  " + keys.padding(toLength: max(12, keys.count + 1), withPad: " ", startingAt: 0) + command.summary + panesNote
    }

    /// Which lines show when scrolled `scroll` lines down; the renderer and the reducer share it.
    static func viewport(for state: AppState, scroll: Int) -> Viewport {
        let count = lines(for: state).count
        let box = state.layout.centered(width: width, height: count + 2)
        return Viewport(scrolledTo: scroll, itemCount: count, rows: box.inner.height)
    }
}
