import Foundation
import TerminalGraphics
import Workbench

/// Puts the selected result's picture on the terminal after curses has drawn: it asks the preview
/// store to read and encode it (posting a redraw when ready) and, once encoded, writes the pieces
/// at the placement's cells. Bytes go to `output`, so what is painted can be checked without a terminal.
final class PicturePainter {
    typealias Painted = (key: PreviewStore.EncodingKey, rect: Rect)

    let previews: PreviewStore
    let mode: GraphicsMode
    let capabilities: TerminalCapabilities
    private let redraw: @Sendable () -> Void
    private let output: ([UInt8]) -> Void

    init(
        previews: PreviewStore, mode: GraphicsMode, capabilities: TerminalCapabilities, redraw: @escaping @Sendable () -> Void,
        output: @escaping ([UInt8]) -> Void
    ) {
        self.previews = previews
        self.mode = mode
        self.capabilities = capabilities
        self.redraw = redraw
        self.output = output
    }

    func key(for placement: ImagePlacement) -> PreviewStore.EncodingKey {
        let count = previews.frames(placement.jobID)?.images.count ?? 1
        return PreviewStore.EncodingKey(
            jobID: placement.jobID, compareWith: placement.compareWith, frame: placement.frame % max(1, count),
            columns: placement.rect.width, rows: placement.rect.height)
    }

    /// Writes the cached picture for `placement`, or starts loading/encoding it (the redraw comes
    /// when it is ready). Returns what was painted.
    func paint(_ placement: ImagePlacement, jobs: [JobStatus]) -> Painted? {
        guard let job = jobs.first(where: { $0.id == placement.jobID }) else { return nil }
        guard previews.frames(job.id) != nil else {
            previews.load(job.id, outputs: job.outputs, done: redraw)
            return nil
        }
        if let other = placement.compareWith, previews.frames(other) == nil, let compared = jobs.first(where: { $0.id == other }) {
            previews.load(other, outputs: compared.outputs, done: redraw)
            return nil
        }
        let key = key(for: placement)
        guard let pieces = previews.encoding(key) else {
            previews.encode(key, mode: mode, capabilities: capabilities, done: redraw)
            return nil
        }
        var bytes = Array("\u{1B}7".utf8)
        for piece in pieces {
            bytes += Array("\u{1B}[\(placement.rect.y + piece.row + 1);\(placement.rect.x + piece.column + 1)H".utf8) + piece.bytes
        }
        bytes += Array("\u{1B}8".utf8)
        output(bytes)
        return (key, placement.rect)
    }

    /// Writes everything to standard output, retrying short writes.
    static func writeToStandardOutput(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            offset += written
        }
    }
}
