import Foundation
import TOMLKit

/// A config.toml mistake, naming the file, where in it, the key and why. `preset` is a preset's id,
/// or for settings outside presets their table (`[keys]`, `[output]`) or `(top level)`.
public enum ConfigError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case file(FileSystemError)
    case syntax(path: String, line: Int, column: Int, message: String)
    case notATable(path: String, key: String)
    case unknownKey(path: String, preset: String, key: String, valid: [String])
    case wrongType(path: String, preset: String, key: String, expected: String)
    case missing(path: String, preset: String, key: String)
    case invalidValue(path: String, preset: String, key: String, reason: String)
    case unknownBase(path: String, preset: String, base: String, known: [String])

    public var description: String {
        switch self {
        case .file(let error):
            error.description
        case .syntax(let path, let line, let column, let message):
            "\(path):\(line):\(column): \(message)"
        case .notATable(let path, let key):
            "\(path): '\(key)' must be a table, like [\(key == "presets" ? "presets.my-model" : key)]"
        case .unknownKey(let path, let preset, let key, let valid):
            "\(path): unknown key '\(key)' in \(Self.table(preset)); valid keys: \(valid.joined(separator: ", "))"
        case .wrongType(let path, let preset, let key, let expected):
            "\(path): '\(key)' in \(Self.table(preset)) must be \(expected)"
        case .missing(let path, let preset, let key):
            "\(path): \(Self.table(preset)) needs '\(key)' (or a 'base' preset to inherit it from)"
        case .invalidValue(let path, let preset, let key, let reason):
            "\(path): '\(key)' in \(Self.table(preset)): \(reason)"
        case .unknownBase(let path, let preset, let base, let known):
            "\(path): \(Self.table(preset)) is based on '\(base)', which does not exist; known presets: \(known.joined(separator: ", "))"
        }
    }

    public var errorDescription: String? { description }

    /// Where a key sits, as the file spells it.
    private static func table(_ preset: String) -> String {
        if preset.hasPrefix("[") { return preset }
        if preset == "(top level)" { return "the top level" }
        return "[presets.\(preset)]"
    }
}

/// The built-in presets plus the user's, from `config.toml`:
///
/// ```toml
/// [presets.sd15]                 # a built-in id: override some of its fields
/// endpoints = ["http://127.0.0.1:8000/"]
///
/// [presets.my-sdxl]              # a new preset
/// name = "My SDXL finetune"
/// base = "sdxl"                  # inherit everything not given here
/// output_type = "pil"
/// image_format = "png"
/// ```
public struct PresetCatalog: Sendable, Equatable {
    public var presets: [Preset]

    public init(presets: [Preset] = Preset.builtins) {
        self.presets = presets
    }

    /// Looks a preset up by id, case-insensitively, also accepting its display name (`"SD v1.5"`).
    public func preset(named query: String) -> Preset? {
        let wanted = query.lowercased()
        return presets.first { $0.id.lowercased() == wanted }
            ?? presets.first { $0.name.lowercased() == wanted }
    }

    public var ids: [String] { presets.map(\.id) }

    /// `$XDG_CONFIG_HOME/latentty/config.toml`, else `~/.config/latentty/config.toml`.
    public static func configDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> URL {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("latentty")
        }
        let home =
            environment["HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".config/latentty")
    }

    public static func configFile(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> URL
    {
        configDirectory(environment: environment).appendingPathComponent("config.toml")
    }

    /// Built-ins merged with the config file; a missing file is not an error.
    public static func load(configFile url: URL) throws(ConfigError) -> PresetCatalog {
        guard let text = try readConfig(url) else { return PresetCatalog() }
        return try parse(text, path: url.path)
    }

    public static func parse(_ text: String, path: String) throws(ConfigError) -> PresetCatalog {
        let table = try parseTOML(text, path: path)
        var catalog = PresetCatalog()
        guard let presetsValue = table["presets"] else { return catalog }
        guard let presets = presetsValue.table else { throw .notATable(path: path, key: "presets") }
        for id in presets.keys {
            guard let fields = presets[id]?.table else {
                throw .notATable(path: path, key: "presets.\(id)")
            }
            let entry = PresetEntry(path: path, id: id, fields: fields)
            let preset = try entry.build(existing: catalog)
            if let index = catalog.presets.firstIndex(where: { $0.id == id }) {
                catalog.presets[index] = preset
            } else {
                catalog.presets.append(preset)
            }
        }
        return catalog
    }
}

/// The config file's text, or nil when there is none (a missing file is not a mistake; an
/// unreadable one is).
func readConfig(_ url: URL) throws(ConfigError) -> String? {
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    do {
        return try FileSystemError.accessing(url, for: .reading) { try String(contentsOf: url, encoding: .utf8) }
    } catch {
        throw .file(error)
    }
}

/// Parses a TOML document, reporting syntax errors with their position in the file.
func parseTOML(_ text: String, path: String) throws(ConfigError) -> TOMLTable {
    do {
        return try TOMLTable(string: text)
    } catch let error as TOMLParseError {
        throw .syntax(path: path, line: error.source.begin.line, column: error.source.begin.column, message: error.description)
    } catch {
        throw .syntax(path: path, line: 0, column: 0, message: "\(error)")
    }
}

extension PresetCatalog {
    /// Writes the fields the TUI's preset form edits into `[presets.ID]` of the config file, keeping
    /// every other setting (TOMLKit rewrites the file, so comments are not kept).
    public static func saveSettings(of preset: Preset, to url: URL) throws(ConfigError) {
        let table = try readConfig(url).map { text throws(ConfigError) in try parseTOML(text, path: url.path) } ?? TOMLTable()
        let presets = table["presets"]?.table ?? TOMLTable()
        let entry = presets[preset.id]?.table ?? TOMLTable()
        entry["endpoints"] = TOMLArray(preset.endpoints)
        entry["output_type"] = preset.outputType.rawValue
        entry["image_format"] = preset.imageFormat.rawValue
        entry["concurrency"] = preset.concurrency
        presets[preset.id] = entry
        table["presets"] = presets
        do {
            try FileSystemError.accessing(url, for: .writing) {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try table.convert(to: .toml).write(to: url, atomically: true, encoding: .utf8)
            }
        } catch {
            throw .file(error)
        }
    }
}

/// One `[presets.ID]` table, turned into a `Preset` with errors that name the file, preset and key.
private struct PresetEntry {
    let path: String
    let id: String
    let fields: TOMLTable

    static let validKeys = [
        "name", "base", "channels", "scaling", "shift", "packed", "temporal", "spatial", "model",
        "endpoint", "endpoints", "output_type", "image_format", "resolution", "concurrency",
        "encode_endpoint", "encode_endpoints",
    ]

    func build(existing catalog: PresetCatalog) throws(ConfigError) -> Preset {
        for key in fields.keys where !Self.validKeys.contains(key) {
            throw .unknownKey(path: path, preset: id, key: key, valid: Self.validKeys)
        }
        var preset: Preset
        if let baseID = try string("base") {
            guard let base = catalog.preset(named: baseID) else {
                throw .unknownBase(path: path, preset: id, base: baseID, known: catalog.ids)
            }
            preset = base
            preset.id = id
            preset.name = id
            preset.isBuiltin = false
        } else if let builtin = catalog.preset(named: id), builtin.id == id {
            preset = builtin
        } else {
            guard let channels = try integer("channels") else {
                throw .missing(path: path, preset: id, key: "channels")
            }
            guard let scaling = try number("scaling") else {
                throw .missing(path: path, preset: id, key: "scaling")
            }
            preset = Preset(id: id, name: id, latentChannels: channels, scalingFactor: scaling)
        }
        if let name = try string("name") { preset.name = name }
        if let channels = try integer("channels") {
            guard channels > 0 else { throw invalid("channels", "must be positive") }
            preset.latentChannels = channels
        }
        if let scaling = try number("scaling") {
            guard scaling > 0, scaling.isFinite else {
                throw invalid("scaling", "must be a positive number")
            }
            preset.scalingFactor = scaling
        }
        if let shift = try number("shift") { preset.shiftFactor = shift == 0 ? nil : shift }
        if let packed = try boolean("packed") { preset.packed = packed }
        if let temporal = try integer("temporal") {
            guard temporal >= 0 else {
                throw invalid("temporal", "must be 0 (an image model) or the frames per latent frame")
            }
            preset.temporalFactor = temporal == 0 ? nil : temporal
        }
        if let spatial = try integer("spatial") {
            guard spatial > 0 else { throw invalid("spatial", "must be positive") }
            preset.spatialFactor = spatial
        }
        if let resolution = try integer("resolution") { preset.nativeResolution = resolution }
        if let concurrency = try integer("concurrency") {
            guard (1...64).contains(concurrency) else { throw invalid("concurrency", "must be 1…64") }
            preset.concurrency = concurrency
        }
        if let model = try string("model") { preset.modelID = model }
        if let endpoint = try string("endpoint") { preset.endpoints = [endpoint] }
        if let endpoints = try strings("endpoints") { preset.endpoints = endpoints }
        if let endpoint = try string("encode_endpoint") { preset.encodeEndpoints = [endpoint] }
        if let endpoints = try strings("encode_endpoints") { preset.encodeEndpoints = endpoints }
        for (key, endpoints) in [("endpoints", preset.endpoints), ("encode_endpoints", preset.encodeEndpoints)] {
            for endpoint in endpoints {
                guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https",
                    url.host != nil
                else {
                    throw invalid(key, "'\(endpoint)' is not an http(s) URL")
                }
            }
        }
        if let output = try string("output_type") {
            guard let type = OutputType(rawValue: output) else {
                throw invalid(
                    "output_type",
                    "'\(output)' is not one of \(OutputType.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            preset.outputType = type
        }
        if let format = try string("image_format") {
            guard let imageFormat = ImageFormat(rawValue: format) else {
                throw invalid("image_format", "'\(format)' is not jpg or png")
            }
            preset.imageFormat = imageFormat
        }
        return preset
    }

    private func invalid(_ key: String, _ reason: String) -> ConfigError {
        .invalidValue(path: path, preset: id, key: key, reason: reason)
    }

    private func wrongType(_ key: String, _ expected: String) -> ConfigError {
        .wrongType(path: path, preset: id, key: key, expected: expected)
    }

    private func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = fields[key] else { return nil }
        guard let text = value.string else { throw wrongType(key, "a string") }
        return text
    }

    private func integer(_ key: String) throws(ConfigError) -> Int? {
        guard let value = fields[key] else { return nil }
        guard let number = value.int else { throw wrongType(key, "an integer") }
        return number
    }

    /// TOML distinguishes `1` from `1.0`; people should not have to.
    private func number(_ key: String) throws(ConfigError) -> Double? {
        guard let value = fields[key] else { return nil }
        if let number = value.double { return number }
        if let number = value.int { return Double(number) }
        throw wrongType(key, "a number")
    }

    private func boolean(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = fields[key] else { return nil }
        guard let flag = value.bool else { throw wrongType(key, "true or false") }
        return flag
    }

    private func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = fields[key] else { return nil }
        guard let array = value.array else { throw wrongType(key, "a list of strings") }
        var result: [String] = []
        for item in array {
            guard let text = item.string else { throw wrongType(key, "a list of strings") }
            result.append(text)
        }
        return result
    }
}
