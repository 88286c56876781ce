import Foundation
import TOMLKit

/// Workbench settings from `config.toml` besides presets:
///
/// ```toml
/// theme = "nord"
/// [output]
/// directory = "~/latentty-out"
/// pattern = "{name}_{preset}_{seed}"      # {name} {preset} {seed} {date} {time} {index}
/// [keys]
/// decode = "x"                            # or a list: ["x", "ctrl-d"]
/// ```
public struct Settings: Sendable, Equatable {
    public var theme: String?
    public var outputDirectory: String?
    public var fileNamePattern: String
    public var keys: [String: [String]]

    public static let defaultPattern = "{name}"

    public init(
        theme: String? = nil, outputDirectory: String? = nil, fileNamePattern: String = Settings.defaultPattern,
        keys: [String: [String]] = [:]
    ) {
        self.theme = theme
        self.outputDirectory = outputDirectory
        self.fileNamePattern = fileNamePattern
        self.keys = keys
    }

    public static func load(configFile url: URL) throws(ConfigError) -> Settings {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return Settings() }
        return try parse(text, path: url.path)
    }

    public static func parse(_ text: String, path: String) throws(ConfigError) -> Settings {
        let table = try parseTOML(text, path: path)
        var settings = Settings()
        if let theme = table["theme"] {
            guard let name = theme.string else { throw .wrongType(path: path, preset: "(top level)", key: "theme", expected: "a string") }
            settings.theme = name
        }
        if let output = table["output"] {
            guard let output = output.table else { throw .notATable(path: path, key: "output") }
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
                if let single = keys[name]?.string {
                    settings.keys[name] = [single]
                } else if let list = keys[name]?.array {
                    settings.keys[name] = list.compactMap(\.string)
                } else {
                    throw .wrongType(path: path, preset: "[keys]", key: name, expected: "a key name or a list of them")
                }
            }
        }
        return settings
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
