// What real terminals under Xvfb showed (scripts/graphics_check.sh), pinned down without one.
import Foundation
import Testing

@testable import ImageCodecs
@testable import TerminalGraphics

/// A video played in place again and again through one canvas: what the terminal is sent on the
/// second pass (`bench graphics` measures the same at full size: 226.9 MB re-sent for 61 frames of
/// 1024² against a 192 MB budget).
@Suite struct CanvasReplayTests {
    let backend = KittyBackend(target: GraphicsTarget(graphics: .kitty, cellWidth: 8, cellHeight: 16))

    func frames(_ count: Int) throws -> [TerminalPicture] {
        try (0..<count).map { index in
            // Each frame different, so none could be mistaken for another.
            var pixels = noise(count: 32 * 32 * 3)
            pixels[0] = UInt8(index)
            return try backend.encode(try RGBImage(width: 32, height: 32, pixels: pixels), columns: 4, rows: 2)
        }
    }

    /// Pixels of `frames` sent during one pass after `previous`.
    func uploads(playing frames: [TerminalPicture], on canvas: PictureCanvas, after previous: inout TerminalPicture?) -> Int {
        var count = 0
        for frame in frames {
            let bytes = previous == nil ? canvas.inline(frame) : canvas.redrawInline(frame, replacing: previous)
            if String(decoding: bytes, as: UTF8.self).contains("a=t,") { count += 1 }
            previous = frame
        }
        return count
    }

    @Test func aLoopThatFitsIsSentOnce() throws {
        let video = try frames(10)
        let canvas = PictureCanvas(backend: backend, storageBudget: video[0].storedBytes * 10)
        var previous: TerminalPicture?
        #expect(uploads(playing: video, on: canvas, after: &previous) == 10)
        #expect(uploads(playing: video, on: canvas, after: &previous) == 0)
    }

    /// With room for 6 of 10 frames, a replay needs to re-send 4 of them; evicting the oldest
    /// first would evict each frame just before it comes round again, so all 10 went up every pass.
    @Test func aLoopLargerThanTheBudgetReSendsOnlyWhatDoesNotFit() throws {
        let video = try frames(10)
        let canvas = PictureCanvas(backend: backend, storageBudget: video[0].storedBytes * 6)
        var previous: TerminalPicture?
        _ = uploads(playing: video, on: canvas, after: &previous)
        let again = uploads(playing: video, on: canvas, after: &previous)
        #expect(again <= 5, "re-sent \(again) of 10 frames with room for 6")
    }
}

/// kitty scales a placement that names both columns (`c=`) and rows (`r=`) to fill exactly those
/// cells: seen under Xvfb, a 368×368 picture placed in 41×21 cells of 9×18 px was drawn 369×378.
@Suite struct KittyPlacementSizeTests {
    @Test func aPictureOfNoWholeNumberOfCellsIsNotStretched() throws {
        let backend = KittyBackend(target: GraphicsTarget(graphics: .kitty, cellWidth: 8, cellHeight: 16))
        let picture = try backend.encode(try RGBImage(width: 32, height: 30, pixels: noise(count: 32 * 30 * 3)), columns: 4, rows: 2)
        let upload = String(decoding: picture.upload, as: UTF8.self)
        let place = String(decoding: picture.pieces[0].bytes, as: UTF8.self)
        let height = try #require(upload.firstMatch(of: /v=(\d+)/).flatMap { Int($0.1) })
        #expect(height == 32 && upload.contains("f=32"), "30 px of picture padded to 2 whole cells, transparent")
        let rows = place.firstMatch(of: /[,_G]r=(\d+)/).flatMap { Int($0.1) }
        // Either no row count (kitty keeps the pixels' own size) or one that the pixels fill.
        #expect(rows == nil || rows.map { $0 * 16 } == height, "placement \(place.debugDescription) for a picture \(height) px high")
    }
}
