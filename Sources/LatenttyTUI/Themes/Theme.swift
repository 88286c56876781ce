import Foundation

/// Colours for the workbench, read from btop-style theme files:
///
/// ```
/// # comment
/// theme[main_bg] = "#1e1e2e"
/// main_fg = "#cdd6f4"
/// selected_bg = ""          # empty: the terminal's default
/// ```
public struct Theme: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        case mainBackground = "main_bg"
        case mainForeground = "main_fg"
        case title
        case border
        case focusBorder = "focus_border"
        case selectedBackground = "selected_bg"
        case selectedForeground = "selected_fg"
        case inactive = "inactive_fg"
        case statusBackground = "status_bg"
        case statusForeground = "status_fg"
        case key = "key_fg"
        case ok = "ok_fg"
        case warning = "warn_fg"
        case error = "error_fg"
        case progress = "progress_fg"
    }

    public struct Color: Sendable, Equatable {
        public let r: UInt8
        public let g: UInt8
        public let b: UInt8
    }

    public let name: String
    /// nil: the terminal's default colour.
    public var colors: [Role: Color]

    public init(name: String, colors: [Role: Color] = [:]) {
        self.name = name
        self.colors = colors
    }

    /// The terminal's own colours everywhere (and what `NO_COLOR` gets).
    public static let plain = Theme(name: "plain")

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case badLine(path: String, line: Int, text: String)
        case badColor(path: String, line: Int, value: String)
        case notFound(name: String, searched: [String])

        public var description: String {
            switch self {
            case .badLine(let path, let line, let text): "\(path):\(line): expected key = \"#RRGGBB\", found '\(text.prefix(60))'"
            case .badColor(let path, let line, let value): "\(path):\(line): '\(value)' is not a #RRGGBB colour"
            case .notFound(let name, let searched):
                "no theme '\(name)' in \((searched + ["the built-in themes"]).joined(separator: ", ")) (built in: \(BuiltinThemes.files.keys.sorted().joined(separator: ", ")))"
            }
        }
    }

    /// Unknown keys are ignored, so btop themes and newer theme files still load.
    public static func parse(_ text: String, name: String, path: String = "theme") throws(ParseError) -> Theme {
        var theme = Theme(name: name)
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw .badLine(path: path, line: index + 1, text: line) }
            var key = parts[0]
            if key.hasPrefix("theme["), key.hasSuffix("]") { key = String(key.dropFirst(6).dropLast()) }
            let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            guard let role = Role(rawValue: key) else { continue }
            if value.isEmpty {
                theme.colors[role] = nil
                continue
            }
            guard let color = Color(hex: value) else { throw .badColor(path: path, line: index + 1, value: value) }
            theme.colors[role] = color
        }
        return theme
    }

    /// Finds `name`: a path, else a file in `searchPaths` (the user's themes, which override the
    /// built-in ones of the same name), else a built-in theme.
    public static func load(named name: String, searchPaths: [URL]) throws(ParseError) -> Theme {
        if name.contains("/"), let text = try? String(contentsOfFile: name, encoding: .utf8) {
            return try parse(text, name: URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent, path: name)
        }
        for directory in searchPaths {
            let url = directory.appendingPathComponent(name + ".theme")
            if let text = try? String(contentsOf: url, encoding: .utf8) { return try parse(text, name: name, path: url.path) }
        }
        if let text = BuiltinThemes.files[name] { return try parse(text, name: name, path: "built-in theme \(name)") }
        throw .notFound(name: name, searched: searchPaths.map(\.path))
    }

    /// Theme names in `searchPaths` (first occurrence wins), then the built-in ones not overridden.
    public static func available(in searchPaths: [URL]) -> [String] {
        var names: [String] = []
        for directory in searchPaths {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for file in files.sorted() where file.hasSuffix(".theme") {
                let name = String(file.dropLast(6))
                if !names.contains(name) { names.append(name) }
            }
        }
        return names + BuiltinThemes.files.keys.sorted().filter { !names.contains($0) }
    }

    /// Where user themes live: `$XDG_CONFIG_HOME/latentty/themes`. The shipped ones are built in.
    public static func searchPaths(configDirectory: URL) -> [URL] {
        [configDirectory.appendingPathComponent("themes")]
    }
}

extension Theme.Color {
    init?(hex: String) {
        var digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        if digits.count == 3 { digits = digits.map { "\($0)\($0)" }.joined() }
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        self.init(r: UInt8(value >> 16), g: UInt8((value >> 8) & 0xFF), b: UInt8(value & 0xFF))
    }
}
