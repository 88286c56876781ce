import Foundation

/// A tmux version as `#{version}` and XTVERSION spell it: `3.3a`, `3.4`, `next-3.5`.
public struct TmuxVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var text: String

    public init?(_ text: String) {
        // Skip a prefix such as "next-" or "openbsd-"; the first digits start the number.
        guard let start = text.firstIndex(where: \.isNumber) else { return nil }
        let numbers = text[start...].split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard let major = numbers.first else { return nil }
        self.major = major
        self.minor = numbers.count > 1 ? numbers[1] : 0
        self.text = text
    }

    public static func < (lhs: TmuxVersion, rhs: TmuxVersion) -> Bool { (lhs.major, lhs.minor) < (rhs.major, rhs.minor) }
    public static func == (lhs: TmuxVersion, rhs: TmuxVersion) -> Bool { (lhs.major, lhs.minor) == (rhs.major, rhs.minor) }

    public var description: String { text }

    /// tmux 3.3 added `allow-passthrough` (off by default); before it passthrough always worked.
    public var hasPassthroughOption: Bool { (major, minor) >= (3, 3) }
}

/// What tmux says about the pane latentty runs in and the terminal outside it.
public struct TmuxInfo: Sendable, Equatable {
    /// The pane's `allow-passthrough`: `all` also lets invisible panes through.
    public enum Passthrough: String, Sendable, Equatable {
        case off, on, all
    }

    public var version: TmuxVersion?
    /// The outer terminal's `TERM`: `xterm-kitty`, `xterm-256color`.
    public var clientTermName: String?
    /// The outer terminal's XTVERSION answer as tmux recorded it: `kitty(0.26.5)`, `XTerm(379)`.
    public var clientTermType: String?
    /// nil when tmux could not be asked, or is older than 3.3 and has no such option.
    public var allowPassthrough: Passthrough?
    /// The outer terminal's answers to the passthrough-wrapped queries; nil when none came back.
    public var outerReplies: ProbeReplies?
    /// Where the pane's top-left cell is on the outer terminal (see `GraphicsTarget.paneOrigin`).
    public var paneOrigin: CellPosition?

    public init(
        version: TmuxVersion? = nil, clientTermName: String? = nil, clientTermType: String? = nil,
        allowPassthrough: Passthrough? = nil, outerReplies: ProbeReplies? = nil, paneOrigin: CellPosition? = nil
    ) {
        self.version = version
        self.clientTermName = clientTermName
        self.clientTermType = clientTermType
        self.allowPassthrough = allowPassthrough
        self.outerReplies = outerReplies
        self.paneOrigin = paneOrigin
    }

    /// The pane's place: `pane_top` counts from the top of the window, which a status line at the
    /// top (`status-position top`, `status` on or 2–5 lines) pushes down on the terminal.
    static let originFormat = ["#{pane_top}", "#{pane_left}", "#{status}", "#{status-position}"]

    /// One `tmux display` gives everything; a format resolves `allow-passthrough` as the pane sees
    /// it (its own value, else the window's, else the global one), which `show -p` alone would not.
    static let format =
        (["#{version}", "#{client_termname}", "#{client_termtype}", "#{allow-passthrough}"] + originFormat).joined(separator: "\t")

    /// `TMUX_PANE` names the pane latentty runs in; without it tmux guesses the most recent one.
    static func displayArguments(environment: [String: String], format: String = TmuxInfo.format) -> [String] {
        ["tmux", "display-message", "-p"] + paneTarget(environment) + [format]
    }

    static func paneTarget(_ environment: [String: String]) -> [String] {
        environment["TMUX_PANE"].map { ["-t", $0] } ?? []
    }

    /// The answer to `displayArguments`: tab-separated, empty fields for what this tmux lacks
    /// (`client_termtype` before 3.2; `allow-passthrough` before 3.3, or no client attached).
    public static func parse(display output: String) -> TmuxInfo {
        let fields = fields(output)
        func field(_ index: Int) -> String? {
            index < fields.count && !fields[index].isEmpty ? fields[index] : nil
        }
        let passthrough: Passthrough? =
            switch field(3) {
            case "1", "on": .on
            case "all": .all
            case "0", "off": .off
            default: nil
            }
        return TmuxInfo(
            version: field(0).flatMap(TmuxVersion.init), clientTermName: field(1), clientTermType: field(2),
            allowPassthrough: passthrough, paneOrigin: parseOrigin(fields.dropFirst(4)))
    }

    /// `originFormat`'s four fields; nil unless both coordinates are numbers.
    static func parseOrigin(_ fields: ArraySlice<String>) -> CellPosition? {
        let values = Array(fields)
        guard values.count >= 4, let top = Int(values[0]), let left = Int(values[1]), top >= 0, left >= 0 else { return nil }
        let statusLines =
            switch values[2] {
            case "on": 1
            case "off": 0
            default: Int(values[2]) ?? 0
            }
        return CellPosition(row: top + (values[3] == "top" ? statusLines : 0), column: left)
    }

    static func fields(_ output: String) -> [String] {
        let line = output.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        return line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }

    /// Asks the tmux server; nil (with why) when it cannot be asked in time.
    public static func read(
        environment: [String: String], runner: some CommandRunner, timeout: Double
    ) -> Result<TmuxInfo, CommandError> {
        do throws(CommandError) {
            let result = try runner.run(displayArguments(environment: environment), timeout: timeout)
            guard result.status == 0 else {
                return .failure(.cannotStart(program: "tmux", reason: result.errorOutput.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            return .success(parse(display: result.output))
        } catch {
            return .failure(error)
        }
    }

    /// Where the pane is on the outer terminal now: one short `tmux display`, for after a resize or
    /// a change of layout moved it. nil when tmux cannot say in time.
    public static func paneOrigin(environment: [String: String], runner: some CommandRunner, timeout: Double) -> CellPosition? {
        let arguments = displayArguments(environment: environment, format: originFormat.joined(separator: "\t"))
        guard let result = try? runner.run(arguments, timeout: timeout), result.status == 0 else { return nil }
        return parseOrigin(fields(result.output)[...])
    }

    /// Passthrough as it works for this pane: tmux's word when it gave one, tmux < 3.3 always passes
    /// through, and answers from the outer terminal prove it whatever tmux said.
    public var passthroughWorks: Bool? {
        if outerReplies != nil { return true }
        if let allowPassthrough { return allowPassthrough != .off }
        if let version, !version.hasPassthroughOption { return true }
        return nil
    }
}
