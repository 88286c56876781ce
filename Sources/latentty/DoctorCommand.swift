import ArgumentParser
import Foundation
import LatentKit
import LatenttyTUI
import SystemInfo
import TerminalGraphics

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the native libraries, CPU instruction set, config and terminal graphics latentty is using.",
        discussion: "Example: latentty doctor --graphics auto")

    @OptionGroup var presets: PresetOptions

    @Flag(help: "Print as JSON.")
    var json = false

    @Option(help: "Detect pictures as this would (default: config.toml's graphics, else auto).")
    var graphics: GraphicsChoice?

    @Flag(help: "Inside tmux: turn allow-passthrough on for this pane only (not globally), then detect again.")
    var allowPassthrough = false

    struct Report: Encodable {
        let libraries: [LibraryVersion]
        let cpuISA: String
        let configFile: String
        let configStatus: String
        let graphics: GraphicsSection
    }

    /// What picture detection found and every signal behind it.
    struct GraphicsSection: Encodable {
        struct Signal: Encodable {
            let name: String
            let value: String
            let meaning: String
        }
        let choice: String
        let target: String
        let `protocol`: String
        let placeholders: Bool
        let tmuxPassthrough: Bool
        let cellWidth: Int
        let cellHeight: Int
        let maxSixelWidth: Int?
        let maxSixelHeight: Int?
        let truecolor: Bool
        let signals: [Signal]
        let advice: [String]
        let canEnablePassthrough: Bool

        init(choice: GraphicsChoice, report: GraphicsReport) {
            let target = report.target
            self.choice = choice.rawValue
            self.target = target.summary
            self.protocol = target.graphics.rawValue
            placeholders = target.placeholders
            tmuxPassthrough = target.tmuxPassthrough
            cellWidth = target.cellWidth
            cellHeight = target.cellHeight
            maxSixelWidth = target.maxSixelWidth
            maxSixelHeight = target.maxSixelHeight
            truecolor = target.truecolor
            signals = report.signals.map { Signal(name: $0.name, value: $0.value, meaning: $0.meaning) }
            advice = report.advice
            canEnablePassthrough = report.canEnablePassthrough
        }
    }

    func run() throws {
        let configURL = presets.configFile
        let status: String
        var configuredGraphics: GraphicsChoice?
        if !FileManager.default.fileExists(atPath: configURL.path) {
            status = "absent (built-in presets only)"
        } else {
            do {
                let presets = try PresetCatalog.load(configFile: configURL).presets.count
                // The workbench's settings and keys live in the same file; check them here too.
                let settings = try Settings.load(configFile: configURL)
                _ = try KeyMap.configured(settings.keys, configFile: configURL.path)
                configuredGraphics = settings.graphics.flatMap(GraphicsChoice.init(rawValue:))
                status = "ok, \(presets) presets"
            } catch {
                status = "error: \(error.description)"
            }
        }
        let environment = ProcessInfo.processInfo.environment
        if allowPassthrough {
            try TmuxControl.enablePassthroughForPane(environment: environment)
        }
        let choice = graphics ?? configuredGraphics ?? .auto
        // The terminal doctor runs in is asked even when its output goes to a file or a pipe.
        let terminal = open("/dev/tty", O_RDWR | O_CLOEXEC)
        defer { if terminal >= 0 { close(terminal) } }
        let descriptor = terminal >= 0 ? terminal : STDOUT_FILENO
        let detected = TerminalProbe.graphics(choice: choice, input: descriptor, output: descriptor, environment: environment)
        let report = Report(
            libraries: LinkedLibraries.all(), cpuISA: LinkedLibraries.oneDNNCPUISA(),
            configFile: configURL.path, configStatus: status, graphics: GraphicsSection(choice: choice, report: detected))
        if json {
            try printJSON(report)
            return
        }
        for library in report.libraries {
            print(
                "\(library.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(library.version)  (\(library.purpose))"
            )
        }
        print("cpu isa       \(report.cpuISA)")
        printLine("config        \(report.configFile): \(report.configStatus)")
        printGraphics(report.graphics)
    }

    /// Signals hold what terminals and the environment said, so they print through `printLine`'s
    /// escaping: a hostile answer cannot write escapes of its own.
    private func printGraphics(_ section: GraphicsSection) {
        printLine("graphics      \(section.target) (choice: \(section.choice); cell \(section.cellWidth)×\(section.cellHeight) px)")
        let width = max(16, (section.signals.map(\.name.count).max() ?? 0) + 2)
        for signal in section.signals {
            printLine("  \(signal.name.padding(toLength: width, withPad: " ", startingAt: 0))\(signal.value) — \(signal.meaning)")
        }
        for line in section.advice { printLine("  advice: \(line)") }
        if section.canEnablePassthrough { printLine("  run `latentty doctor --allow-passthrough` to turn it on for this pane") }
    }
}
