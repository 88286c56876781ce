import Foundation
import TerminalGraphics
import Workbench

/// Puts pictures on the terminal after curses has drawn — the selected result in the preview, the
/// latents' small pictures — through the backend the terminal speaks, and takes each off again when
/// it is no longer wanted there, so a picture is never left stale over text. It asks the preview
/// store to read and encode pictures (a redraw is posted when they are ready). The single owner of
/// the terminal's pictures: only the UI thread calls it. Bytes go to `output`, so what is painted
/// can be checked without a terminal.
final class PicturePainter {
    private struct Shown {
        var key: PreviewStore.EncodingKey
        var rect: Rect
        var pictures: [(column: Int, picture: TerminalPicture)]

        var footprint: [Int] { pictures.flatMap { [$0.column, $0.picture.columns, $0.picture.rows] } }
        var rows: Range<Int> { rect.y..<(rect.y + rect.height) }
    }

    let previews: PreviewStore
    private(set) var canvas: PictureCanvas
    private let redraw: @Sendable () -> Void
    private let output: ([UInt8]) -> Void
    private var shown: [Rect: Shown] = [:]
    /// Pictures replaced by one of the same footprint: erased only once their successor is drawn,
    /// so video frames do not flash the background between them.
    private var replaced: [Rect: Shown] = [:]

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

    /// What is on screen in `rect` now.
    func showing(at rect: Rect) -> PreviewStore.EncodingKey? { shown[rect]?.key }

    func key(for placement: ImagePlacement) -> PreviewStore.EncodingKey {
        let count = previews.frames(placement.jobID)?.images.count ?? 1
        return PreviewStore.EncodingKey(
            jobID: placement.jobID, compareWith: placement.compareWith, frame: placement.frame % max(1, count),
            columns: placement.rect.width, rows: placement.rect.height)
    }

    /// Before curses updates the screen: takes off every shown picture that `placements` do not
    /// keep where it is. Returns the rows curses must repaint, since it believes the cells under a
    /// picture are blank; a picture living in cells of those rows is retired too, as the repaint
    /// wipes it.
    func retire(for placements: [ImagePlacement]) -> [Range<Int>] {
        let wanted = Dictionary(placements.map { ($0.rect, $0) }, uniquingKeysWith: { first, _ in first })
        var gone: [Shown] = []
        for (rect, old) in shown {
            if let placement = wanted[rect] {
                let next = key(for: placement)
                if next == old.key { continue }
                if let pictures = previews.encoding(next).map(Self.drawable),
                    Shown(key: next, rect: rect, pictures: pictures).footprint == old.footprint
                {
                    replaced[rect] = old
                    shown[rect] = nil
                    continue
                }
            }
            shown[rect] = nil
            gone.append(old)
        }
        for (rect, old) in replaced where wanted[rect] == nil {
            replaced[rect] = nil
            gone.append(old)
        }
        var repaint: [Range<Int>] = []
        while let old = gone.popLast() {
            output(erase(old))
            guard backend.livesInCells else { continue }
            repaint.append(old.rows)
            for (rect, other) in shown where other.rows.overlaps(old.rows) {
                shown[rect] = nil
                gone.append(other)
            }
        }
        return repaint
    }

    /// After curses has updated the screen: draws each placement not already there, or starts
    /// loading and encoding it.
    func paint(_ placements: [ImagePlacement], jobs: [JobStatus], sources: [LoadedLatent] = []) {
        readFinishedVideos(placements, jobs: jobs)
        var bytes: [UInt8] = []
        for placement in placements where shown[placement.rect] == nil {
            guard let pictures = ready(placement, jobs: jobs, sources: sources) else { continue }
            for (column, picture) in pictures {
                bytes += canvas.show(picture, row: placement.rect.y, column: placement.rect.x + column)
            }
            if let old = replaced.removeValue(forKey: placement.rect) { bytes += erase(old) }
            shown[placement.rect] = Shown(key: key(for: placement), rect: placement.rect, pictures: pictures)
        }
        if !bytes.isEmpty { output(bytes) }
    }

    /// The encoded pictures for `placement`, or nil after starting what they still need: reading a
    /// job's outputs (a latent's picture is already in memory), then encoding.
    private func ready(_ placement: ImagePlacement, jobs: [JobStatus], sources: [LoadedLatent]) -> [(
        column: Int, picture: TerminalPicture
    )]? {
        for id in [placement.jobID] + (placement.compareWith.map { [$0] } ?? []) where previews.frames(id) == nil {
            if let job = jobs.first(where: { $0.id == id }) {
                if job.state == .done { previews.load(id, outputs: job.outputs, done: redraw) }
            } else if let image = sources.first(where: { $0.id == id })?.picture {
                previews.provide(id, image: image)
                continue
            }
            return nil
        }
        let key = key(for: placement)
        guard let encoded = previews.encoding(key) else {
            previews.encode(key, backend: backend, done: redraw)
            return nil
        }
        return Self.drawable(encoded)
    }

    /// A video shown from its frames so far is read from its files once it is done; the frames so
    /// far stay on screen until the result replaces them, so nothing flickers.
    private func readFinishedVideos(_ placements: [ImagePlacement], jobs: [JobStatus]) {
        for id in placements.flatMap({ [$0.jobID] + ($0.compareWith.map { [$0] } ?? []) }) where previews.frames(id)?.partial == true {
            if let job = jobs.first(where: { $0.id == id }), job.state == .done { previews.load(id, outputs: job.outputs, done: redraw) }
        }
    }

    /// The screen is about to be redrawn whole: whatever was drawn is taken off and drawn again.
    /// `imagesFreed`: it is cleared (ED 2), which makes kitty drop the pixels of every image on
    /// it, so they must be sent again.
    func screenCleared(imagesFreed: Bool) {
        let all = Array(shown.values) + Array(replaced.values)
        output(all.flatMap(erase))
        shown = [:]
        replaced = [:]
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
