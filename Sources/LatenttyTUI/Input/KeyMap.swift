/// Which key runs which command: global keys everywhere, pane keys where that pane has focus.
/// Users remap any command in `config.toml` under `[keys]` (`decode = "x"`, or a list of keys).
public struct KeyMap: Sendable, Equatable {
    public var global: [Key: Command]
    public var panes: [Pane: [Key: Command]]

    public static let `default` = KeyMap(
        global: [
            .character("?"): .help, .character("q"): .quit, .control("c"): .quit, .escape: .back,
            .tab: .nextPane, .backTab: .previousPane, .character("h"): .left, .character("l"): .right,
            .character("j"): .down, .down: .down, .character("k"): .up, .up: .up, .pageUp: .pageUp, .pageDown: .pageDown,
            .enter: .activate, .character("o"): .open, .character("g"): .generate, .character("w"): .watch,
            .character("b"): .toggleBackend, .character("d"): .decode, .character("D"): .decodeAll,
        ],
        panes: [
            .presets: [.character("e"): .editPreset],
            .sources: [.character("i"): .inspect, .character(" "): .toggleSelect],
            .jobs: [
                .character("c"): .cancel, .character("r"): .retry, .character("R"): .sendElsewhere, .character("J"): .moveLater,
                .character("K"): .moveEarlier, .character("x"): .clearFinished, .character("s"): .save, .character("/"): .filter,
                .character("m"): .compare, .character(" "): .playPause, .character("."): .nextFrame, .character(","): .previousFrame,
            ],
            .preview: [
                .character("s"): .save, .character(" "): .playPause, .character("."): .nextFrame, .character(","): .previousFrame,
                .character("m"): .compare,
            ],
        ])

    public func command(for key: Key, in pane: Pane) -> Command? {
        panes[pane]?[key] ?? global[key]
    }

    /// Keys bound to `command` where `pane` has focus, for the status line and help.
    public func keys(for command: Command, in pane: Pane?) -> [Key] {
        let paneKeys = pane.flatMap { panes[$0] }?.filter { $0.value == command }.map(\.key) ?? []
        let globalKeys = global.filter { $0.value == command }.map(\.key)
        return (paneKeys + globalKeys).sorted { $0.label < $1.label }
    }

    public enum RemapError: Error, Equatable, CustomStringConvertible {
        case unknownCommand(String)
        case unknownKey(String)

        public var description: String {
            switch self {
            case .unknownCommand(let name):
                "[keys]: no command '\(name)'; commands: \(Command.allCases.map(\.rawValue).joined(separator: ", "))"
            case .unknownKey(let name): "[keys]: '\(name)' is not a key (use e.g. x, ctrl-d, enter, f5, space)"
            }
        }
    }

    /// Rebinds commands; the new key replaces the old binding of that command everywhere.
    public func remapped(_ bindings: [String: [String]]) throws(RemapError) -> KeyMap {
        var map = self
        for (name, keyNames) in bindings {
            guard let command = Command(rawValue: name) else { throw .unknownCommand(name) }
            var keys: [Key] = []
            for keyName in keyNames {
                guard let key = Key(name: keyName) else { throw .unknownKey(keyName) }
                keys.append(key)
            }
            let paneOwners = map.panes.filter { $0.value.values.contains(command) }.map(\.key)
            map.global = map.global.filter { $0.value != command }
            for pane in Pane.allCases { map.panes[pane] = map.panes[pane]?.filter { $0.value != command } }
            for key in keys {
                if paneOwners.isEmpty {
                    map.global[key] = command
                } else {
                    for pane in paneOwners { map.panes[pane, default: [:]][key] = command }
                }
            }
        }
        return map
    }
}
