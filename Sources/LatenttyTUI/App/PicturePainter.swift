import Foundation
import TerminalGraphics
import Workbench

/// Puts the selected result's picture on the terminal after curses has drawn, through the picture
/// backend the terminal speaks, and takes it off again when the preview changes — so a picture is
/// never left stale over text. It asks the preview store to read and encode pictures (a redraw is
/// posted when they are ready). The single owner of the terminal's pictures: only the UI thread
/// calls it. Bytes go to `output`, so what is painted can be checked without a terminal.
final class PicturePainter {
    private struct Shown {
        var key: PreviewStore.EncodingKey
        var rect: Rect
        var pictures: [(column: Int, picture: TerminalPicture)]

        var footprint: [Int] { pictures.flatMap { [$0.column, $0.picture.columns, $0.picture.rows] } }
    }

    let previews: PreviewStore
    private(set) var canvas: PictureCanvas
    private let redraw: @Sendable () -> Void
    private let output: ([UInt8]) -> Void
    private var shown: Shown?
    /// A picture replaced by one of the same footprint: erased only once its successor is drawn,
    /// so video frames do not flash the background between them.
    private var replaced: Shown?

    init(
        previews: PreviewStore, backend: any PictureBackend, redraw: @escaping @Sendable () -> Void,
        output: @escaping ([UInt8]) -> Void
    ) {
        self.previews = previews
        self.canvas = PictureCanvas(backend: backend)
        self.redraw = redraw
        self.output = output
    }

    var backend: any PictureBackend { canvas.backend }

    /// What is on screen now.
    var showing: PreviewStore.EncodingKey? { shown?.key }

    func key(for placement: ImagePlacement) -> PreviewStore.EncodingKey {
        let count = previews.frames(placement.jobID)?.images.count ?? 1
        return PreviewStore.EncodingKey(
            jobID: placement.jobID, compareWith: placement.compareWith, frame: placement.frame % max(1, count),
            columns: placement.rect.width, rows: placement.rect.height)
    }

    /// Before curses updates the screen: takes the shown picture off unless `placement` is the same.
    /// Returns the rows curses must repaint, since it believes the cells under a picture are blank.
    func retire(for placement: ImagePlacement?) -> Range<Int>? {
        guard let old = shown else { return nil }
        if let placement, placement.rect == old.rect {
            let next = key(for: placement)
            if next == old.key { return nil }
            if let pictures = previews.encoding(next).map(Self.drawable),
                Shown(key: next, rect: old.rect, pictures: pictures).footprint == old.footprint
            {
                replaced = old
                shown = nil
                return nil
            }
        }
        shown = nil
        output(erase(old))
        return backend.livesInCells ? old.rect.y..<(old.rect.y + old.rect.height) : nil
    }

    /// After curses has updated the screen: draws `placement` unless it is already there, or starts
    /// loading and encoding it.
    func paint(_ placement: ImagePlacement?, jobs: [JobStatus]) {
        guard let placement, shown == nil, let job = jobs.first(where: { $0.id == placement.jobID }) else { return }
        guard previews.frames(job.id) != nil else {
            previews.load(job.id, outputs: job.outputs, done: redraw)
            return
        }
        if let other = placement.compareWith, previews.frames(other) == nil, let compared = jobs.first(where: { $0.id == other }) {
            previews.load(other, outputs: compared.outputs, done: redraw)
            return
        }
        let key = key(for: placement)
        guard let encoded = previews.encoding(key) else {
            previews.encode(key, backend: backend, done: redraw)
            return
        }
        let pictures = Self.drawable(encoded)
        var bytes: [UInt8] = []
        for (column, picture) in pictures {
            bytes += canvas.show(picture, row: placement.rect.y, column: placement.rect.x + column)
        }
        if let replaced { bytes += erase(replaced) }
        replaced = nil
        shown = Shown(key: key, rect: placement.rect, pictures: pictures)
        output(bytes)
    }

    /// The screen is about to be redrawn whole: whatever was drawn is taken off and drawn again.
    /// `imagesFreed`: it is cleared (ED 2), which makes kitty drop the pixels of every image on
    /// it, so they must be sent again.
    func screenCleared(imagesFreed: Bool) {
        if let shown { output(erase(shown)) }
        shown = nil
        replaced = nil
        if imagesFreed { canvas.forgetStored() }
    }

    /// Draws with `backend` from now on (tmux passthrough was just allowed, say): frees what the
    /// old one stored and encodes afresh.
    func switchBackend(to backend: any PictureBackend) {
        screenCleared(imagesFreed: false)
        output(canvas.releaseAll())
        canvas = PictureCanvas(backend: backend)
        previews.forgetEncodings()
    }

    /// Takes the picture off and frees what the terminal stores for us (on quitting).
    func releaseAll() {
        screenCleared(imagesFreed: false)
        output(canvas.releaseAll())
    }

    private func erase(_ shown: Shown) -> [UInt8] { shown.pictures.flatMap { canvas.erase($0.picture) } }

    private static func drawable(_ pictures: [PlacedPicture]) -> [(column: Int, picture: TerminalPicture)] {
        pictures.compactMap { placed in (try? placed.picture.get()).map { (placed.column, $0) } }
    }

    /// Writes everything to standard output, retrying short writes.
    static func writeToStandardOutput(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR || errno == EAGAIN { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}
