import Foundation
import Glibc
import LatentKit
import NativeVAE
import RemoteDecode
import TerminalGraphics
import Workbench

/// An engine loaded before the workbench starts (so bad weights fail on the command line), with
/// the spec that names it.
public struct PreloadedEngine: Sendable {
    public var spec: LocalEngineSpec
    public var engine: any DecodeEngine

    public init(spec: LocalEngineSpec, engine: any DecodeEngine) {
        self.spec = spec
        self.engine = engine
    }
}

/// Everything the workbench starts with.
public struct TUIOptions: Sendable {
    public var files: [String]
    public var presetID: String?
    /// `--endpoint` (repeated for failover): replaces the endpoints of `presetID`'s preset, or of
    /// every preset when none is named.
    public var endpoints: [String]
    public var local: Bool
    public var decode: Bool
    public var theme: Theme
    public var graphics: GraphicsChoice
    public var catalog: PresetCatalog
    public var settings: Settings
    public var keyMap: KeyMap
    public var configFile: URL
    public var journalDirectory: URL?
    public var outputDirectory: URL
    public var exportDirectory: URL
    public var useColor: Bool
    /// Where the open dialog starts when nothing is loaded: the shipped samples.
    public var samplesDirectory: String?
    /// The engine `--engine`/`--vae` chose (nil: latent2rgb only).
    public var localEngine: PreloadedEngine?
    /// Retry, limits and token for every endpoint set.
    public var remote: RemoteConfiguration

    public init(
        files: [String], presetID: String?, endpoints: [String], local: Bool, decode: Bool, theme: Theme, graphics: GraphicsChoice,
        catalog: PresetCatalog, settings: Settings, keyMap: KeyMap, configFile: URL, journalDirectory: URL?, outputDirectory: URL,
        exportDirectory: URL, useColor: Bool, samplesDirectory: String?, localEngine: PreloadedEngine? = nil,
        remote: RemoteConfiguration = RemoteConfiguration(endpoints: [])
    ) {
        self.files = files
        self.presetID = presetID
        self.endpoints = endpoints
        self.local = local
        self.decode = decode
        self.theme = theme
        self.graphics = graphics
        self.catalog = catalog
        self.settings = settings
        self.keyMap = keyMap
        self.configFile = configFile
        self.journalDirectory = journalDirectory
        self.outputDirectory = outputDirectory
        self.exportDirectory = exportDirectory
        self.useColor = useColor
        self.samplesDirectory = samplesDirectory
        self.localEngine = localEngine
        self.remote = remote
    }
}

/// The workbench: probes the terminal, then runs the curses loop on the calling thread — the only
/// thread that touches curses — while decodes, file reading and image encoding run elsewhere and
/// post their results to the inbox.
public final class WorkbenchApp {
    let options: TUIOptions
    let inbox = Inbox()
    let previews = PreviewStore()

    public init(options: TUIOptions) {
        self.options = options
    }

    /// Runs until the user quits; returns the process exit status.
    public func run() -> Int32 {
        let started = Date()
        let graphics = TerminalProbe.graphics(
            choice: options.graphics, input: STDIN_FILENO, output: STDOUT_FILENO, environment: ProcessInfo.processInfo.environment)
        let wiring = WorkbenchWiring(options: options)
        let queue = wiring.makeQueue()
        let journal = options.journalDirectory.map(JobJournal.init(directory:))
        let runner = EffectRunner(
            queue: queue, inbox: inbox, configFile: options.configFile, settings: options.settings, exportDirectory: options.exportDirectory
        )

        guard let screen = Screen(useColor: options.useColor) else {
            FileHandle.standardError.write(
                Data("latentty: the workbench needs a terminal; for scripts use the subcommands (latentty --help)\n".utf8))
            return 2
        }
        defer { screen.shutdown() }
        let palette = Palette(theme: options.theme, screen: screen)
        var state = wiring.initialState(
            columns: screen.columns, rows: screen.rows, workingDirectory: FileManager.default.currentDirectoryPath)
        state.picturesBlockedByTmux = graphics.canEnablePassthrough
        if let advice = Self.pictureAdvice(graphics, keys: options.keyMap) { state.status = advice }
        // Looking through the model cache touches the disk: not before the first frame, not on this thread.
        Task.detached { [inbox, presets = options.catalog.presets] in
            inbox.post(.enginesFound(WorkbenchWiring.cachedEngines(ModelDiscovery.survey(presets))))
        }
        state.recentFiles = Self.loadRecent(journal)
        defer { Self.saveRecent(state.recentFiles, journal) }
        WorkbenchWiring.forwardEvents(of: queue, to: inbox, previews: previews)
        if let directory = options.journalDirectory {
            Task.detached { [inbox] in await WorkbenchWiring.restore(queue, journalDirectory: directory, inbox: inbox) }
        }
        if !options.files.isEmpty { runner.perform(.load(paths: options.files, presets: state.presets)) }

        var renderer = Renderer(
            screen: screen, palette: palette,
            previewCaption: { [previews] id in
                previews.frames(id).map { frames in
                    if let error = frames.error ?? previews.drawingFailure(id) { return error }
                    let first = frames.images.first
                    let count =
                        frames.partial
                        ? " · \(frames.images.count) frame\(frames.images.count == 1 ? "" : "s") so far (space plays)"
                        : frames.images.count > 1 ? " · \(frames.images.count) frames (space plays)" : ""
                    return "\(first?.width ?? 0)×\(first?.height ?? 0)" + count
                }
            },
            comparisonPSNR: { [previews] left, right in previews.psnr(of: left, against: right) })
        let inbox = self.inbox
        let painter = PicturePainter(
            previews: previews, backend: PictureBackends.backend(for: graphics.target), redraw: { inbox.post(.tick(now: Date())) },
            output: PicturePainter.writeToStandardOutput)
        defer { painter.releaseAll() }
        let target = graphics.target
        let watcher =
            target.tmuxPassthrough && !target.placeholders && target.graphics == .kitty
            ? TmuxPaneWatcher(
                initial: TmuxPaneView(visible: true, origin: target.paneOrigin), environment: ProcessInfo.processInfo.environment,
                changed: { inbox.post(.tick(now: Date())) }) : nil
        defer { watcher?.stop() }
        var paneView = watcher?.current
        var firstFrameLogged = false
        // A full repaint clears the screen (ED 2), which also makes kitty free our images; rewriting
        // every row is enough after an overlay and keeps them.
        var fullRepaint = true
        var repaintAll = false

        while !state.shouldQuit {
            var effects: [Effect] = []
            for action in inbox.drain() { effects += Reducer.reduce(&state, action) }
            effects += Reducer.reduce(&state, .tick(now: Date()))
            var keyReadAt: Date? = nil
            switch screen.read() {
            case .none: break
            case .hangup:
                // Jobs in flight stay in the journal; finished results are already on disk.
                state.shouldQuit = true
                continue
            case .resize:
                effects += Reducer.reduce(&state, .resize(columns: screen.columns, rows: screen.rows))
                fullRepaint = true
            case .mouse(let column, let row, let wheelUp):
                if let wheelUp {
                    effects += Reducer.reduce(&state, .scroll(up: wheelUp))
                } else {
                    effects += Reducer.reduce(&state, .click(column: column, row: row))
                }
            case .key(let key):
                keyReadAt = Date()
                if let action = KeyActions.action(for: key, state: state) {
                    let hadOverlay = state.overlay != nil
                    effects += Reducer.reduce(&state, action)
                    if hadOverlay != (state.overlay != nil) { repaintAll = true }
                }
            }
            for effect in effects {
                if effect == .allowTmuxPassthrough {
                    let outcome = Self.allowPassthrough(choice: options.graphics, painter: painter)
                    _ = Reducer.reduce(&state, .message(outcome))
                    fullRepaint = true
                }
                runner.perform(effect)
            }

            if let latest = watcher?.current, latest != paneView {
                if latest.origin != paneView?.origin {
                    var moved = painter.backend.target
                    moved.paneOrigin = latest.origin
                    painter.switchBackend(to: PictureBackends.backend(for: moved))
                }
                if latest.visible != paneView?.visible { repaintAll = true }
                paneView = latest
            }
            if fullRepaint {
                screen.touchAll()
                painter.screenCleared(imagesFreed: true)
                fullRepaint = false
            } else if repaintAll {
                screen.repaint(rows: 0..<screen.rows)
                painter.screenCleared(imagesFreed: false)
            }
            repaintAll = false
            renderer.smallPictures = painter.backend.target.drawsPixels
            let drawn = renderer.draw(state)
            // tmux hides our pane but not a direct picture over it: take it off until the pane is back.
            let placements = paneView?.visible == false ? [] : drawn
            screen.stage()
            for rows in painter.retire(for: placements) { screen.repaint(rows: rows) }
            screen.update()
            painter.paint(placements, jobs: state.jobs, sources: state.sources)
            if let keyReadAt { Self.recordTiming("key_redraw", Date().timeIntervalSince(keyReadAt)) }
            if !firstFrameLogged {
                firstFrameLogged = true
                Self.recordTiming("first_frame", Self.secondsSinceProcessStart() ?? Date().timeIntervalSince(started))
            }
        }
        return 0
    }

    /// What to tell the user at start when pictures cannot be drawn as well as they could be.
    static func pictureAdvice(_ report: GraphicsReport, keys: KeyMap) -> StatusMessage? {
        if report.canEnablePassthrough, let key = keys.keys(for: .allowPictures, in: nil).first {
            return StatusMessage("tmux blocks pictures in this pane: press \(key.label) to let them through (this pane only)", .warning)
        }
        return report.advice.first.map { StatusMessage($0, .warning) }
    }

    /// Turns tmux's passthrough on for this pane, asks the terminal again, and draws the way that
    /// now allows.
    static func allowPassthrough(choice: GraphicsChoice, painter: PicturePainter) -> StatusMessage {
        let environment = ProcessInfo.processInfo.environment
        do {
            try TmuxControl.enablePassthroughForPane(environment: environment)
        } catch {
            return StatusMessage("tmux did not allow passthrough: \(error)", .error)
        }
        let report = TerminalProbe.graphics(choice: choice, input: STDIN_FILENO, output: STDOUT_FILENO, environment: environment)
        painter.switchBackend(to: PictureBackends.backend(for: report.target))
        return StatusMessage("pictures through tmux: \(report.target.summary)", report.target.graphics == .blocks ? .warning : .success)
    }

    /// Recent files live beside the journal (`recent.json`).
    static func loadRecent(_ journal: JobJournal?) -> [String] {
        guard let url = journal?.directory.deletingLastPathComponent().appendingPathComponent("recent.json"),
            let data = try? Data(contentsOf: url), let paths = try? JSONDecoder().decode([String].self, from: data)
        else { return [] }
        return paths.filter { FileManager.default.fileExists(atPath: $0) }
    }

    static func saveRecent(_ paths: [String], _ journal: JobJournal?) {
        guard let directory = journal?.directory.deletingLastPathComponent(), let data = try? JSONEncoder().encode(paths) else { return }
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? data.write(to: directory.appendingPathComponent("recent.json"), options: .atomic)
    }

    /// With `LATENTTY_TIMINGS=FILE`, appends `name seconds` lines: the UI benchmark reads them.
    /// From `/proc/self/stat` (start time in clock ticks since boot), so start-up costs before
    /// `run()` — argument parsing, config, themes — are counted too.
    static func secondsSinceProcessStart() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        return ProcessInfo.processInfo.systemUptime - ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static let timingsPath = ProcessInfo.processInfo.environment["LATENTTY_TIMINGS"]

    static func recordTiming(_ name: String, _ seconds: Double) {
        guard let path = timingsPath else { return }
        let line = String(format: "%@ %.6f\n", name, seconds)
        if let handle = FileHandle(forWritingAtPath: path) {
            handle.seekToEndOfFile()
            handle.write(Data(line.utf8))
            try? handle.close()
        } else {
            try? line.write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}
