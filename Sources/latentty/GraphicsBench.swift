import ArgumentParser
import Foundation
import Glibc
import ImageCodecs
import TerminalGraphics

/// `bench graphics`: what each picture protocol costs — encode time, bytes the first time a
/// picture is shown and when it is placed again, and a 61-frame video played in place twice (kitty
/// must send each frame's pixels once). With `--terminal`, every picture is also drawn in the
/// controlling terminal, followed by DA1: a terminal parses its input in order, so its DA1 answer
/// arrives once it has consumed the picture — the time to first picture.
struct GraphicsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graphics",
        abstract: "Measure encode time and bytes per picture protocol; with --terminal, the time a real terminal takes to show them.",
        discussion: """
            Pictures are synthetic, with smooth regions, fine texture and hard edges, as decoded images have.
            Example: latentty bench graphics --size 512 --terminal   (scripts/graphics_check.sh runs it in each terminal)
            """)

    @Option(help: "Preview sides in pixels (repeat for several).")
    var size: [Int] = [512, 1024]

    @Option(name: .customLong("protocol"), help: "Protocols to measure (repeat for several; default all).")
    var protocols: [BenchProtocol] = BenchProtocol.allCases

    @Option(help: "Frames of the video played in place (one second at 61 frames per second).")
    var frames: Int = 61

    @Option(help: "Timed encodes per picture; the fastest is reported.")
    var repeats: Int = 3

    @Flag(help: "Also draw each picture in the controlling terminal and time until the terminal answers DA1 sent after it.")
    var terminal = false

    @Flag(help: "Print as JSON lines.")
    var json = false

    func validate() throws {
        guard size.allSatisfy({ (16...4096).contains($0) }) else { throw ValidationError("--size must be between 16 and 4096") }
        guard frames >= 2 else { throw ValidationError("--frames must be at least 2") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        let tty = try terminal ? BenchTerminal.open() : nil
        // Cells of the terminal drawn in, else what terminals commonly use.
        let cell = tty?.cellSize ?? (GraphicsTarget.defaultCellWidth, GraphicsTarget.defaultCellHeight)
        let inTmux = ProcessInfo.processInfo.environment["TMUX"] != nil
        defer { tty?.finish() }
        let report = BenchReport(json: json, cell: cell, inTmux: inTmux)
        for side in size {
            // Made once per size: in a debug build, making the pictures costs more than encoding them.
            let images = try reportingErrors { try (0..<frames).map { try BenchImage.make(side: side, frame: $0) } }
            let image = images[0]
            // The box a preview pane of about `side` pixels has.
            let columns = (side + cell.0 - 1) / cell.0
            let lines = (side + cell.1 - 1) / cell.1
            for kind in protocols {
                let target = kind.target(cellWidth: cell.0, cellHeight: cell.1, tmux: inTmux)
                let backend = PictureBackends.backend(for: target)
                var start = DispatchTime.now()
                let picture = try reportingErrors { try backend.encode(image, columns: columns, rows: lines) }
                var best = DispatchTime.now().seconds(since: start)
                for _ in 1..<repeats {
                    start = DispatchTime.now()
                    _ = try reportingErrors { try backend.encode(image, columns: columns, rows: lines) }
                    best = min(best, DispatchTime.now().seconds(since: start))
                }
                let canvas = PictureCanvas(backend: backend)
                let first = canvas.show(picture, row: 0, column: 0)
                let again = canvas.show(picture, row: 0, column: 0)
                var row = BenchRow(
                    protocolName: kind.rawValue, side: side, columns: picture.columns, rows: picture.rows, encodeSeconds: best,
                    firstBytes: first.count, replaceBytes: again.count)
                if let tty {
                    tty.clear()
                    row.terminalFirstSeconds = try tty.timeUntilConsumed(first)
                    row.terminalReplaceSeconds = try tty.timeUntilConsumed(again)
                    tty.clear(erasing: canvas.releaseAll())
                }
                report.emit(row)
                report.emit(try video(images, kind, target: target, columns: columns, lines: lines, tty: tty))
            }
        }
    }

    /// Distinct frames played in place twice, as `show --play` and the workbench play video.
    private func video(
        _ images: [RGBImage], _ kind: BenchProtocol, target: GraphicsTarget, columns: Int, lines: Int, tty: BenchTerminal?
    ) throws -> BenchRow {
        let backend = PictureBackends.backend(for: target)
        var encodeSeconds = 0.0
        var pictures: [TerminalPicture] = []
        for image in images {
            let start = DispatchTime.now()
            pictures.append(try reportingErrors { try backend.encode(image, columns: columns, rows: lines) })
            encodeSeconds += DispatchTime.now().seconds(since: start)
        }
        let canvas = PictureCanvas(backend: backend)
        var passes: [[UInt8]] = []
        var previous: TerminalPicture?
        for _ in 0..<2 {
            var bytes: [UInt8] = []
            for picture in pictures {
                bytes += previous == nil ? canvas.inline(picture) : canvas.redrawInline(picture, replacing: previous)
                previous = picture
            }
            passes.append(bytes)
        }
        var row = BenchRow(
            protocolName: kind.rawValue, side: images[0].width, columns: pictures[0].columns, rows: pictures[0].rows,
            encodeSeconds: encodeSeconds / Double(frames),
            firstBytes: passes[0].count, replaceBytes: passes[1].count, videoFrames: frames)
        if let tty {
            tty.clear()
            row.terminalFirstSeconds = try tty.timeUntilConsumed(passes[0])
            row.terminalReplaceSeconds = try tty.timeUntilConsumed(passes[1])
            tty.clear(erasing: canvas.releaseAll())
        }
        return row
    }

    static func bytes(_ count: Int) -> String {
        switch count {
        case ..<10_000: "\(count) B"
        case ..<1_000_000: String(format: "%.1f KB", Double(count) / 1000)
        default: String(format: "%.1f MB", Double(count) / 1_000_000)
        }
    }
}

/// Prints each row as it is measured, so a run cut short still leaves its numbers.
struct BenchReport {
    let json: Bool
    let cell: (Int, Int)
    let inTmux: Bool
    #if DEBUG
        let build = "debug"
    #else
        let build = "release"
    #endif

    init(json: Bool, cell: (Int, Int), inTmux: Bool) {
        self.json = json
        self.cell = cell
        self.inTmux = inTmux
        guard !json else { return }
        print("bench graphics (\(build) build), cells \(cell.0)×\(cell.1) px\(inTmux ? ", inside tmux" : "")")
        print("what                               cells   encode     first show   again        terminal: first / again")
    }

    func emit(_ row: BenchRow) {
        if json {
            var fields: [String: Any] = [
                "protocol": row.protocolName, "size": row.side, "cells": "\(row.columns)x\(row.rows)", "encode_seconds": row.encodeSeconds,
                "first_bytes": row.firstBytes, "replace_bytes": row.replaceBytes, "build": build, "cell": "\(cell.0)x\(cell.1)",
                "tmux": inTmux,
            ]
            if let frames = row.videoFrames { fields["video_frames"] = frames }
            if let seconds = row.terminalFirstSeconds { fields["terminal_first_seconds"] = seconds }
            if let seconds = row.terminalReplaceSeconds { fields["terminal_replace_seconds"] = seconds }
            printJSONLine(fields)
        } else {
            let what = row.videoFrames.map { "\(row.protocolName) \(row.side)² video ×\($0)" } ?? "\(row.protocolName) \(row.side)²"
            let encode = String(format: row.videoFrames == nil ? "%.1f ms" : "%.1f ms/fr", row.encodeSeconds * 1000)
            let timed =
                row.terminalFirstSeconds.map { first in
                    String(format: "%.1f ms / %.1f ms", first * 1000, (row.terminalReplaceSeconds ?? 0) * 1000)
                } ?? "—"
            print(
                what.padding(toLength: 34, withPad: " ", startingAt: 0) + " "
                    + "\(row.columns)×\(row.rows)".padding(toLength: 7, withPad: " ", startingAt: 0) + " "
                    + encode.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
                    + GraphicsBench.bytes(row.firstBytes).padding(toLength: 12, withPad: " ", startingAt: 0) + " "
                    + GraphicsBench.bytes(row.replaceBytes).padding(toLength: 12, withPad: " ", startingAt: 0) + " " + timed)
        }
        // Into a file, stdout is block-buffered; each row should be there the moment it is measured
        // (nil: every stream, which names no global).
        fflush(nil)
    }
}

/// The protocols `bench graphics` compares, as the terminal would be told to use them.
enum BenchProtocol: String, CaseIterable, ExpressibleByArgument {
    case kitty
    case kittyPlaceholders = "kitty-placeholders"
    case iterm2
    case sixel
    case blocksTruecolor = "blocks-truecolor"
    case blocks256 = "blocks-256"

    func target(cellWidth: Int, cellHeight: Int, tmux: Bool) -> GraphicsTarget {
        switch self {
        case .kitty: GraphicsTarget(graphics: .kitty, tmuxPassthrough: tmux, cellWidth: cellWidth, cellHeight: cellHeight)
        case .kittyPlaceholders:
            GraphicsTarget(graphics: .kitty, placeholders: true, tmuxPassthrough: tmux, cellWidth: cellWidth, cellHeight: cellHeight)
        case .iterm2: GraphicsTarget(graphics: .iterm2, tmuxPassthrough: tmux, cellWidth: cellWidth, cellHeight: cellHeight)
        case .sixel: GraphicsTarget(graphics: .sixel, tmuxPassthrough: tmux, cellWidth: cellWidth, cellHeight: cellHeight)
        case .blocksTruecolor: GraphicsTarget(graphics: .blocks, cellWidth: cellWidth, cellHeight: cellHeight, truecolor: true)
        case .blocks256: GraphicsTarget(graphics: .blocks, cellWidth: cellWidth, cellHeight: cellHeight, truecolor: false)
        }
    }
}

struct BenchRow {
    var protocolName: String
    var side: Int
    var columns: Int
    var rows: Int
    /// Per picture; per frame for a video.
    var encodeSeconds: Double
    /// A still: its first show. A video: the first pass over every frame.
    var firstBytes: Int
    /// A still: placing it again. A video: the second pass.
    var replaceBytes: Int
    var videoFrames: Int?
    var terminalFirstSeconds: Double?
    var terminalReplaceSeconds: Double?
}

/// Pictures with what decoded images have — smooth shading, fine texture, hard edges — that
/// differ in every frame (the texture drifts and a disc moves), so no frame compresses like another.
enum BenchImage {
    static func make(side: Int, frame: Int) throws(ImageCodecError) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: side * side * 3)
        let scale = 1 / Double(side)
        let centre = (0.3 + 0.4 * Double(frame % 61) / 60, 0.5)
        for y in 0..<side {
            for x in 0..<side {
                let u = Double(x) * scale
                let v = Double(y) * scale
                // A cheap integer hash as film-grain texture, shifted by the frame.
                var hash = UInt32(truncatingIfNeeded: (x + frame * 7) &* 73_856_093 ^ y &* 19_349_663)
                hash = (hash ^ (hash >> 13)) &* 0x5BD1_E995
                let grain = Double(hash >> 24) / 255 - 0.5
                let inDisc = (u - centre.0) * (u - centre.0) + (v - centre.1) * (v - centre.1) < 0.04
                let base = (
                    0.5 + 0.4 * sin(6 * u + 2 * v), 0.5 + 0.4 * cos(5 * v - 3 * u), 0.5 + 0.4 * sin(9 * u * v + 1)
                )
                let shade = inDisc ? (0.9, 0.85, 0.2) : base
                let offset = (y * side + x) * 3
                pixels[offset] = channel(shade.0 + 0.12 * grain)
                pixels[offset + 1] = channel(shade.1 + 0.12 * grain)
                pixels[offset + 2] = channel(shade.2 + 0.12 * grain)
            }
        }
        return try RGBImage(width: side, height: side, pixels: pixels)
    }

    private static func channel(_ value: Double) -> UInt8 { UInt8(max(0, min(255, (value * 255).rounded()))) }
}

/// The controlling terminal, in raw mode while the bench draws in it.
final class BenchTerminal {
    private let fd: Int32
    private var saved = termios()
    /// Pixels per cell, when the terminal reports its pixel size.
    let cellSize: (Int, Int)?

    private init(fd: Int32) {
        self.fd = fd
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0, size.ws_xpixel > 0, size.ws_ypixel > 0 {
            cellSize = (Int(size.ws_xpixel) / Int(size.ws_col), Int(size.ws_ypixel) / Int(size.ws_row))
        } else {
            cellSize = nil
        }
        tcgetattr(fd, &saved)
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        tcsetattr(fd, TCSANOW, &raw)
        write(Array("\u{1B}[?25l".utf8))
    }

    static func open() throws(BenchTerminalError) -> BenchTerminal {
        let fd = Glibc.open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw .noTerminal(String(cString: strerror(errno))) }
        return BenchTerminal(fd: fd)
    }

    /// Writes `bytes` and DA1, and returns the seconds until DA1's answer arrives.
    func timeUntilConsumed(_ bytes: [UInt8]) throws(BenchTerminalError) -> Double {
        let start = DispatchTime.now()
        write(bytes + Array("\u{1B}[c".utf8))
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        // DA1's answer is ESC [ ? … c; anything before it (a stray reply) is skipped.
        while !Self.endsWithDA1(answer) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 30_000) > 0 else { throw .noAnswer }
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { throw .noAnswer }
            answer += buffer[0..<count]
        }
        return DispatchTime.now().seconds(since: start)
    }

    static func endsWithDA1(_ bytes: [UInt8]) -> Bool {
        guard bytes.last == UInt8(ascii: "c"), let start = bytes.lastIndex(of: 0x1B) else { return false }
        return bytes[start...].starts(with: Array("\u{1B}[?".utf8))
    }

    /// Clears the screen, after `erasing` (kitty's deletes) if given.
    func clear(erasing: [UInt8] = []) {
        write(erasing + Array("\u{1B}[H\u{1B}[2J".utf8))
    }

    func finish() {
        write(Array("\u{1B}[?25h".utf8))
        tcsetattr(fd, TCSADRAIN, &saved)
        close(fd)
    }

    private func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}

enum BenchTerminalError: Error, CustomStringConvertible {
    case noTerminal(String)
    case noAnswer

    var description: String {
        switch self {
        case .noTerminal(let reason): "--terminal needs a controlling terminal to draw in (/dev/tty: \(reason))"
        case .noAnswer: "the terminal did not answer DA1 within 30 s"
        }
    }
}

extension DispatchTime {
    func seconds(since start: DispatchTime) -> Double { Double(uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }
}
