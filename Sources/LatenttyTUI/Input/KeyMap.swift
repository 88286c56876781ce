import LatentKit

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
            .character("P"): .allowPictures,
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

extension KeyMap {
    /// The default keys with config.toml's `[keys]` applied. A mistake — an unknown command, a key
    /// that is no key, one key given to two commands that would meet — is reported with the file and
    /// the entry, since dropping it would leave the user pressing keys that do something else.
    public static func configured(_ bindings: [String: [String]], configFile: String) throws(ConfigError) -> KeyMap {
        let map: KeyMap
        do {
            map = try KeyMap.default.remapped(bindings)
        } catch {
            switch error {
            case .unknownCommand(let name):
                throw .unknownKey(path: configFile, preset: "[keys]", key: name, valid: Command.allCases.map(\.rawValue))
            case .unknownKey(let keyName):
                let command = bindings.keys.sorted().first { bindings[$0]?.contains(keyName) == true } ?? keyName
                throw .invalidValue(
                    path: configFile, preset: "[keys]", key: command,
                    reason: "'\(keyName)' is not a key; use e.g. x, X, ctrl-d, enter, space, f5, pageup")
            }
        }
        if let (key, commands) = clash(in: bindings) {
            throw .invalidValue(
                path: configFile, preset: "[keys]", key: commands[1],
                reason: "'\(key)' is also given to \(commands[0]) where both apply; give each command its own key")
        }
        if let (command, takenBy, key) = orphan(in: map, bindings: bindings) {
            throw .invalidValue(
                path: configFile, preset: "[keys]", key: takenBy,
                reason: "'\(key)' was \(command.rawValue)'s only key; give \(command.rawValue) a key of its own too")
        }
        return map
    }

    /// A command left alone by `[keys]` that lost every key of its own to one that was remapped.
    private static func orphan(in map: KeyMap, bindings: [String: [String]]) -> (Command, takenBy: String, key: String)? {
        func allKeys(_ command: Command, in map: KeyMap) -> Set<Key> {
            Set(Pane.allCases.flatMap { map.keys(for: command, in: $0) })
        }
        for command in Command.allCases where bindings[command.rawValue] == nil {
            let own = allKeys(command, in: .default)
            guard !own.isEmpty, allKeys(command, in: map).isEmpty else { continue }
            for name in bindings.keys.sorted() {
                if let key = bindings[name]?.first(where: { Key(name: $0).map(own.contains) == true }) {
                    return (command, name, key)
                }
            }
        }
        return nil
    }

    /// Two commands given the same key in a place where both apply (both global, or a pane they share).
    private static func clash(in bindings: [String: [String]]) -> (key: String, commands: [String])? {
        func places(_ command: Command) -> Set<Pane?> {
            let panes = KeyMap.default.panes.filter { $0.value.values.contains(command) }.map { Optional($0.key) }
            return panes.isEmpty ? [nil] : Set(panes)
        }
        let names = bindings.keys.sorted()
        for (index, first) in names.enumerated() {
            for second in names[(index + 1)...] {
                guard let a = Command(rawValue: first), let b = Command(rawValue: second), !places(a).isDisjoint(with: places(b)) else {
                    continue
                }
                let firstKeys = Set((bindings[first] ?? []).compactMap(Key.init(name:)))
                if let shared = bindings[second]?.first(where: { Key(name: $0).map(firstKeys.contains) == true }) {
                    return (shared, [first, second])
                }
            }
        }
        return nil
    }
}
