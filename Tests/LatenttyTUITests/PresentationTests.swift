import Foundation
import Testing

@testable import ImageCodecs
@testable import LatenttyTUI
@testable import TerminalGraphics
@testable import Workbench

/// Pure pieces of drawing: colours, titles, truncation.
@Suite struct PresentationTests {
    @Test func halfBlocksKeepTheirColoursOnAnEightColourTerminal() throws {
        #expect(TerminalColors.index(RGB(220, 20, 20), paletteSize: 8) == 1)
        #expect(TerminalColors.index(RGB(10, 10, 230), paletteSize: 8) == 4)
        #expect(TerminalColors.index(RGB(30, 200, 40), paletteSize: 16) == 2)
        #expect(TerminalColors.index(RGB(12, 34, 56), paletteSize: 256) == RGB(12, 34, 56).palette256)
        // A red-to-blue gradient stays a gradient, not black and white.
        var pixels: [UInt8] = []
        for _ in 0..<2 {
            for x in 0..<16 { pixels += [UInt8(255 - x * 16), 0, UInt8(x * 16)] }
        }
        let image = try RGBImage(width: 16, height: 2, pixels: pixels)
        let cells = HalfBlocks.render(image, columns: 16, rows: 1).flatMap { $0 }
        let indexes = Set(cells.map { TerminalColors.index($0.top, paletteSize: 8) })
        #expect(indexes.isSuperset(of: [1, 4]))
    }

    @Test func thePreviewsHalfBlocksUseTheSharedColours() {
        let cell = HalfBlockCell(top: RGB(200, 0, 0), bottom: RGB(0, 0, 200))
        #expect(TerminalColors.halfBlock(cell, truecolor: true) == "\u{1B}[38;2;200;0;0;48;2;0;0;200m▀")
        #expect(TerminalColors.halfBlock(cell, truecolor: false) == "\u{1B}[38;5;\(cell.top.palette256);48;5;\(cell.bottom.palette256)m▀")
    }

    @Test func theJobsTitleCountsRunningAndQueuedApart() {
        var s = Fixtures.state()
        #expect(PaneTitles.jobs(s) == "Jobs")
        for state in [JobState.uploading, .decoding, .queued, .queued, .queued, .done] {
            Fixtures.run(&s, .queue(.status(Fixtures.job("j", state))))
        }
        #expect(PaneTitles.jobs(s) == "Jobs · 2 running · 3 queued")
        s.jobFilter = "j"
        #expect(PaneTitles.jobs(s) == "Jobs · 2 running · 3 queued /j")
        #expect(PaneTitles.unfinishedJobs(s) == "5 jobs unfinished (2 running, 3 queued).")
    }

    @Test func cutTextEndsInAnEllipsis() {
        #expect(CellText.truncated("lat_0001_sd15_512.safetensors", to: 10) == "lat_0001_…")
        #expect(CellText.truncated("short", to: 10) == "short")
        #expect(CellText.truncated("exactly10!", to: 10) == "exactly10!")
        #expect(CellText.truncated("anything", to: 0) == "")
        #expect(CellText.truncated("a\tb", to: 3) == "a b")
        #expect(CellText.padded("abc", to: 5) == "abc  ")
        #expect(CellText.padded("abcdefgh", to: 5) == "abcd…")
        var job = JobStatus(id: UUID(), name: "a", backend: .local(.approx), state: .failed, queuedAt: Date())
        job.failure = .endpoint("the endpoint answered 503 three times in a row", retryable: true)
        #expect(JobText.progressLine(job, width: 20) == "the endpoint answer…")
    }

    @Test func namesSortNaturally() {
        let names = ["lat_10.npy", "lat_2.npy", "Lat_1.npy", "lat_11.npy", "lat_02.npy", "a", "lat_1b.npy"]
        #expect(
            names.sorted(by: NaturalOrder.precedes) == [
                "a", "Lat_1.npy", "lat_1b.npy", "lat_2.npy", "lat_02.npy", "lat_10.npy", "lat_11.npy",
            ])
        #expect(!NaturalOrder.precedes("x", "x"))
    }

    @Test func theOpenDialogListsLatentsInNaturalOrder() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-sort-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        for name in ["lat_10.npy", "lat_2.npy", "lat_1.npy", "notes.txt"] {
            try Data().write(to: directory.appendingPathComponent(name))
        }
        #expect(EffectRunner.list(directory.path).map(\.name) == ["sub", "lat_1.npy", "lat_2.npy", "lat_10.npy"])
    }
}
