import Foundation
import TOMLKit

/// Workbench settings from `config.toml` besides presets:
///
/// ```toml
/// theme = "nord"
/// graphics = "auto"                       # auto, kitty, iterm2, sixel, blocks or none
/// [output]
/// directory = "~/latentty-out"
/// pattern = "{name}_{preset}_{seed}"      # {name} {preset} {seed} {date} {time} {index}
/// [keys]
/// decode = "x"                            # or a list: ["x", "ctrl-d"]
/// ```
public struct Settings: Sendable, Equatable {
    public var theme: String?
    /// How pictures are drawn; nil (or "auto") leaves it to detection.
    public var graphics: String?
    public var outputDirectory: String?
    public var fileNamePattern: String
    public var keys: [String: [String]]

    public static let defaultPattern = "{name}"

    /// Everything config.toml may hold outside presets; another key is a typo to report, not to skip.
    static let topLevelKeys = ["theme", "graphics", "output", "keys", "presets"]
    /// The values `graphics` takes; the same words as `--graphics`.
    public static let graphicsChoices = ["auto", "kitty", "iterm2", "sixel", "blocks", "none"]
    static let outputKeys = ["directory", "pattern"]

    public init(
        theme: String? = nil, graphics: String? = nil, outputDirectory: String? = nil, fileNamePattern: String = Settings.defaultPattern,
        keys: [String: [String]] = [:]
    ) {
        self.theme = theme
        self.graphics = graphics
        self.outputDirectory = outputDirectory
        self.fileNamePattern = fileNamePattern
        self.keys = keys
    }

    public static func load(configFile url: URL) throws(ConfigError) -> Settings {
        guard let text = try readConfig(url) else { return Settings() }
        return try parse(text, path: url.path)
    }

    public static func parse(_ text: String, path: String) throws(ConfigError) -> Settings {
        let table = try parseTOML(text, path: path)
        var settings = Settings()
        for key in table.keys where !topLevelKeys.contains(key) {
            throw .unknownKey(path: path, preset: "(top level)", key: key, valid: topLevelKeys)
        }
        if let theme = table["theme"] {
            guard let name = theme.string else { throw .wrongType(path: path, preset: "(top level)", key: "theme", expected: "a string") }
            settings.theme = name
        }
        if let graphics = table["graphics"] {
            guard let name = graphics.string else {
                throw .wrongType(path: path, preset: "(top level)", key: "graphics", expected: "a string")
            }
            guard graphicsChoices.contains(name) else {
                throw .invalidValue(
                    path: path, preset: "(top level)", key: "graphics",
                    reason: "'\(name)' is not one of \(graphicsChoices.joined(separator: ", "))")
            }
            settings.graphics = name
        }
        if let output = table["output"] {
            guard let output = output.table else { throw .notATable(path: path, key: "output") }
            for key in output.keys where !outputKeys.contains(key) {
                throw .unknownKey(path: path, preset: "[output]", key: key, valid: outputKeys)
            }
            if let directory = output["directory"] {
                guard let text = directory.string else {
                    throw .wrongType(path: path, preset: "[output]", key: "directory", expected: "a string")
                }
                settings.outputDirectory = (text as NSString).expandingTildeInPath
            }
            if let pattern = output["pattern"] {
                guard let text = pattern.string, !text.isEmpty else {
                    throw .wrongType(path: path, preset: "[output]", key: "pattern", expected: "a non-empty string")
                }
                settings.fileNamePattern = text
            }
        }
        if let keys = table["keys"] {
            guard let keys = keys.table else { throw .notATable(path: path, key: "keys") }
            for name in keys.keys {
                guard let keyNames = keys[name].flatMap(keyNames) else {
                    throw .wrongType(path: path, preset: "[keys]", key: name, expected: "a key name or a list of them")
                }
                guard !keyNames.isEmpty else {
                    throw .invalidValue(path: path, preset: "[keys]", key: name, reason: "names no key; give one, like \"x\", or a list")
                }
                settings.keys[name] = keyNames
            }
        }
        return settings
    }

    /// `"x"` or `["x", "ctrl-d"]`; nil for anything else, a list holding a non-string included.
    private static func keyNames(_ value: any TOMLValueConvertible) -> [String]? {
        if let single = value.string { return [single] }
        guard let list = value.array else { return nil }
        let names = list.compactMap(\.string)
        return names.count == list.count ? names : nil
    }

    /// A file name (without extension) from the pattern.
    public func fileName(name: String, preset: String, seed: UInt64?, index: Int, date: Date = Date()) -> String {
        let day = DateFormatter()
        day.dateFormat = "yyyyMMdd"
        let clock = DateFormatter()
        clock.dateFormat = "HHmmss"
        let text =
            fileNamePattern
            .replacingOccurrences(of: "{name}", with: name)
            .replacingOccurrences(of: "{preset}", with: preset)
            .replacingOccurrences(of: "{seed}", with: seed.map(String.init) ?? "noseed")
            .replacingOccurrences(of: "{index}", with: String(index))
            .replacingOccurrences(of: "{date}", with: day.string(from: date))
            .replacingOccurrences(of: "{time}", with: clock.string(from: date))
        return text.replacingOccurrences(of: "/", with: "_")
    }
}
