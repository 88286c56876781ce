import ArgumentParser
import Foundation
import Glibc
import LatentKit
import Synchronization
import TerminalGraphics
import Workbench

/// `--graphics`, for `show` and `decode --show`.
struct GraphicsOptions: ParsableArguments {
    @Option(
        help: """
            How pictures are drawn: auto (ask the terminal), kitty, iterm2, sixel, blocks (▀ cells) or none (names only). \
            Default: auto on a terminal, blocks into a pipe or a file.
            """)
    var graphics: GraphicsChoice?

    /// `--graphics`, else config.toml's `graphics`; nil when neither names one.
    func choice(configFile: URL) throws -> GraphicsChoice? {
        if let graphics { return graphics }
        let configured = try reportingErrors { try Settings.load(configFile: configFile) }.graphics
        return configured.flatMap(GraphicsChoice.init(rawValue:))
    }
}

/// How a video plays in place.
struct Playback: Sendable {
    /// nil: the video's own rate.
    var framesPerSecond: Double?
    var loops: Int
}

/// Prints pictures into the shell on standard output, each under a caption line, leaving the
/// cursor below it as `cat` would. One per run: its canvas remembers which kitty images the
/// terminal holds, so a video's frames go up once however often they play.
final class PictureShow {
    /// What a video without a rate of its own plays at: the rate latentty's own MP4s use.
    static let defaultFrameRate = 15.0
    /// Rows when nothing limits the height (a pipe): the width alone sizes the picture.
    static let unboundedRows = 10_000

    private let canvas: PictureCanvas
    private let columns: Int
    private let rows: Int
    /// The terminal's height (the pane's, inside tmux); nil into a pipe or a file.
    private let screenRows: Int?
    private let captions: Bool
    /// kitty images still on screen: their pixels must outlive this process.
    private var onScreen: Set<UInt32> = []

    /// On a terminal, asks it how to draw (unless `choice` names a protocol) and fits pictures to
    /// its width and height; into a pipe or a file nothing is asked: `choice` else half blocks, 80
    /// columns wide. `columns`/`rows` override the box.
    init(
        choice: GraphicsChoice?, columns: Int? = nil, rows: Int? = nil, captions: Bool,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        let target: GraphicsTarget
        var screen: (columns: Int, rows: Int)? = nil
        if isatty(STDOUT_FILENO) == 1 {
            let report = TerminalProbe.graphics(
                choice: choice ?? .auto, input: STDIN_FILENO, output: STDOUT_FILENO, environment: environment)
            target = report.target
            // Half blocks where pictures could be sharper: say how, once, where it does not mix with the pictures.
            if target.graphics == .blocks, let advice = report.advice.first { printError("latentty: \(advice)") }
            var size = winsize()
            if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 {
                screen = (Int(size.ws_col), Int(size.ws_row))
            }
        } else {
            let named = choice.flatMap { GraphicsProtocol(rawValue: $0.rawValue) } ?? .blocks
            target = GraphicsTarget(graphics: named, truecolor: GraphicsDetection.truecolor(environment))
        }
        canvas = PictureCanvas(backend: PictureBackends.backend(for: target))
        self.columns = columns ?? screen?.columns ?? 80
        // One screen holds the caption, the picture and the prompt after it.
        self.rows = rows ?? screen.map { max(1, $0.rows - 1 - (captions ? 1 : 0)) } ?? Self.unboundedRows
        screenRows = screen?.rows
        self.captions = captions
    }

    /// Prints `caption` and the first frame; with `playback`, then plays every frame in place.
    /// Returns false when ^C stopped the playing (the frames sent so far are still freed by `finish`).
    @discardableResult
    func show(_ frames: ResultFrames, caption: String, playback: Playback? = nil) async throws(PictureError) -> Bool {
        let captionLine = captions ? Array((caption.terminalSafe + "\n").utf8) : []
        guard let first = frames.images.first else {
            write(captionLine)
            return true
        }
        var shown = try canvas.backend.encode(first, columns: columns, rows: rows)
        write(captionLine)
        let top = inlineTop(rows: shown.rows)
        write(canvas.inline(shown, at: top))
        defer { if let id = shown.imageID { onScreen.insert(id) } }
        guard let playback, frames.images.count > 1 else { return true }
        let interval = Duration.seconds(1 / (playback.framesPerSecond ?? frames.frameRate ?? Self.defaultFrameRate))
        // Encoded once each: a kitty frame keeps its image id, so later loops only re-place it.
        var pictures: [TerminalPicture?] = [shown] + Array(repeating: nil, count: frames.images.count - 1)
        let clock = ContinuousClock()
        var due = clock.now
        let interrupt = InterruptWatch()
        defer { interrupt.stop() }
        for loop in 0..<playback.loops {
            for index in frames.images.indices where loop > 0 || index > 0 {
                if interrupt.happened { return false }
                let picture: TerminalPicture
                if let encoded = pictures[index] {
                    picture = encoded
                } else {
                    picture = try canvas.backend.encode(frames.images[index], columns: columns, rows: rows)
                    pictures[index] = picture
                }
                // A frame late from encoding shows at once; the ones after it keep the rate from there.
                due = max(due + interval, clock.now)
                try? await clock.sleep(until: due)
                write(canvas.redrawInline(picture, replacing: shown, at: top))
                shown = picture
            }
        }
        return true
    }

    /// Through tmux's passthrough, where in the pane a picture `rows` high will start: tmux answers
    /// where its cursor is (after the caption, so asked once that is out), and the canvas draws the
    /// picture there on the outer terminal. nil where nothing passes through tmux, or no answer came.
    private func inlineTop(rows: Int) -> CellPosition? {
        guard canvas.backend.piecesPassThroughTmux, canvas.backend.target.paneOrigin != nil, let screenRows,
            let cursor = TerminalProbe.cursorPosition(input: STDIN_FILENO, output: STDOUT_FILENO)
        else { return nil }
        return PictureCanvas.inlineTop(cursor: cursor, rows: rows, screenRows: screenRows)
    }

    /// Frees the kitty images no longer on screen (a played video's other frames).
    func finish() {
        write(canvas.releaseAll(keeping: onScreen))
    }

    private func write(_ bytes: [UInt8]) {
        // Lines `print` buffered come first.
        fflush(nil)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

/// ^C while a video plays: noted instead of ending the process at once, so the loop stops at the
/// next frame and the frames a kitty terminal holds can be freed on the way out.
final class InterruptWatch {
    private final class Flag: Sendable {
        let raised = Atomic(false)
    }

    private let flag = Flag()
    private let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())

    init() {
        signal(SIGINT, SIG_IGN)
        source.setEventHandler { [flag] in flag.raised.store(true, ordering: .relaxed) }
        source.resume()
    }

    var happened: Bool { flag.raised.load(ordering: .relaxed) }

    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
