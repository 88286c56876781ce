import ArgumentParser
import Foundation
import LatentKit
import LatenttyTUI
import RemoteDecode
import TerminalGraphics
import Workbench

struct WorkbenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workbench",
        abstract: "Open the workbench (what `latentty` with no subcommand does).",
        discussion: """
            Examples:
              latentty
              latentty Samples/sd15_512_seed13.safetensors --preset sd15 --endpoint http://127.0.0.1:8000/ --decode
              latentty --local --theme nord --graphics blocks
            """)

    @OptionGroup var presets: PresetOptions

    @Argument(help: "Latent files to load, and images (PNG, JPEG) to encode on the chosen backend and decode back.")
    var files: [String] = []

    @Option(help: "Preset to select.")
    var preset: String?

    @OptionGroup var backend: BackendOptions

    @Flag(help: "Submit the files for decoding at once.")
    var decode = false

    @Option(help: "Theme name or file (default: the config's, else dark).")
    var theme: String?

    @Option(
        help:
            "Preview graphics: auto (detect: kitty, iterm2, sixel, else half blocks), kitty, iterm2, sixel, blocks or none. Default: config.toml's graphics, else auto."
    )
    var graphics: GraphicsChoice?

    @Option(help: "Folder for decoded results (default: the config's [output] directory, else ./decoded).")
    var out: String?

    @Flag(name: .customLong("no-journal"), help: "Do not restore or keep the job journal.")
    var noJournal = false

    func validate() throws {
        if backend.engineOptions.runtime.verbose {
            throw ValidationError("--verbose prints to the terminal the workbench draws on; use it with decode, serve or bench local")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configFile = presets.config.map { URL(fileURLWithPath: $0) } ?? PresetCatalog.configFile()
        let catalog = try presets.catalog()
        if let preset { _ = try presets.preset(preset, in: catalog) }
        let settings = try reportingErrors { try Settings.load(configFile: configFile) }
        let keyMap = try reportingErrors { try KeyMap.configured(settings.keys, configFile: configFile.path) }
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let executable = ShippedFolder.currentExecutable()
        let searchPaths = Theme.searchPaths(configDirectory: PresetCatalog.configDirectory())
        let themeName = theme ?? settings.theme ?? "dark"
        let chosenTheme: Theme
        if noColor {
            chosenTheme = .plain
        } else {
            do {
                chosenTheme = try Theme.load(named: themeName, searchPaths: searchPaths)
            } catch {
                if theme != nil { throw CLIFailure(error) }
                chosenTheme = .plain
            }
        }
        let output = URL(fileURLWithPath: out ?? settings.outputDirectory ?? "decoded")
        let chosenPreset = preset.flatMap { catalog.preset(named: $0) }
        // latent2rgb needs no loading; any other engine is loaded now so bad weights fail here, not in the queue.
        let engineOptions = backend.engineOptions
        let localEngine =
            engineOptions.spec == .approx
            ? nil : PreloadedEngine(spec: engineOptions.spec, engine: try engineOptions.makeEngine(preset: chosenPreset))
        let options = TUIOptions(
            files: files, presetID: chosenPreset?.id, endpoints: backend.endpoint,
            local: backend.local, decode: decode,
            theme: chosenTheme, graphics: graphics ?? settings.graphics.flatMap(GraphicsChoice.init(rawValue:)) ?? .auto, catalog: catalog,
            settings: settings, keyMap: keyMap,
            configFile: configFile, journalDirectory: noJournal ? nil : JobJournal.defaultDirectory(), outputDirectory: output,
            exportDirectory: output.appendingPathComponent("saved"), useColor: !noColor,
            samplesDirectory: ShippedFolder.find("Samples", executable: executable)?.path, localEngine: localEngine,
            remote: RemoteConfiguration(endpoints: [], token: AccessToken.discover()))
        let status = await withCheckedContinuation { continuation in
            // curses lives on this one thread for the whole session.
            let thread = Thread { continuation.resume(returning: WorkbenchApp(options: options).run()) }
            thread.stackSize = 8 << 20
            thread.start()
        }
        if status != 0 { throw ExitCode(status) }
    }
}
