import Foundation
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import Workbench

/// Clicks land on the item drawn under the pointer, however far a list has scrolled.
@Suite struct ViewportTests {
    @Test func aWindowKeepsTheSelectionInViewAndMapsRowsBack() {
        let viewport = Viewport(selected: 40, itemCount: 50, rows: 10)
        #expect(viewport.items == 35..<45)
        #expect(viewport.item(atRow: 0) == 35 && viewport.item(atRow: 9) == 44 && viewport.item(atRow: 10) == nil)
        #expect(viewport.row(of: 40) == 5 && viewport.row(of: 34) == nil)
        let jobs = Viewport(selected: 49, itemCount: 50, rows: 11, rowsPerItem: 2)
        #expect(jobs.items == 45..<50)
        #expect(jobs.item(atRow: 0) == 45 && jobs.item(atRow: 1) == 45 && jobs.item(atRow: 2) == 46)
        #expect(Viewport(selected: 0, itemCount: 3, rows: 10).items == 0..<3)
        #expect(Viewport(scrolledTo: 99, itemCount: 30, rows: 10).first == 20)
    }

    @Test func everyDrawnRowMapsBackToTheItemDrawnThere() {
        for viewport in [Viewport(selected: 33, itemCount: 50, rows: 9), Viewport(selected: 33, itemCount: 50, rows: 9, rowsPerItem: 2)] {
            for (item, row) in viewport.placements {
                for line in row..<(row + viewport.rowsPerItem) { #expect(viewport.item(atRow: line) == item) }
            }
        }
    }

    /// The click's row on screen for `item` of `pane`, as the renderer draws it.
    func screenRow(of item: Int, in pane: Pane, _ state: AppState) -> Int {
        state.layout.rect(of: pane).inner.y + state.viewport(of: pane).row(of: item)!
    }

    @Test func clickingAScrolledSourcesRowSelectsTheLatentDrawnThere() throws {
        var s = Fixtures.state()
        let latents = try (0..<50).map { try Fixtures.latent("lat_\($0)") }
        Fixtures.run(&s, .loaded(latents, errors: []))
        s.sourceIndex = 40
        let viewport = s.viewport(of: .sources)
        #expect(viewport.first > 0)
        let target = viewport.items.upperBound - 2
        Fixtures.run(&s, .click(column: s.layout.sources.x + 3, row: screenRow(of: target, in: .sources, s)))
        #expect(s.focus == .sources && s.sourceIndex == target && s.selectedSource?.name == "lat_\(target)")
    }

    @Test func clickingAScrolledPresetRowSelectsThePresetDrawnThere() {
        var s = Fixtures.state()
        s.presets = (0..<50).map { index in
            var preset = Preset.sd15
            preset.id = "p\(index)"
            return preset
        }
        s.presetIndex = 30
        let viewport = s.viewport(of: .presets)
        #expect(viewport.first > 0)
        let target = viewport.items.lowerBound + 1
        Fixtures.run(&s, .click(column: s.layout.presets.x + 3, row: screenRow(of: target, in: .presets, s)))
        #expect(s.focus == .presets && s.presetIndex == target)
    }

    @Test func clickingEitherLineOfAScrolledJobSelectsThatJob() {
        var s = Fixtures.state()
        let jobs = (0..<50).map { Fixtures.job("job\($0)", .done) }
        for job in jobs { Fixtures.run(&s, .queue(.status(job))) }
        s.jobIndex = 45
        let viewport = s.viewport(of: .jobs)
        #expect(viewport.first > 0 && viewport.rowsPerItem == 2)
        let target = viewport.items.lowerBound + 1
        let row = screenRow(of: target, in: .jobs, s)
        Fixtures.run(&s, .click(column: s.layout.jobs.x + 5, row: row + 1))
        #expect(s.focus == .jobs && s.selectedJob?.id == jobs[target].id)
        // The window re-centres on the new selection; the same rule finds the next click's item.
        let next = s.viewport(of: .jobs).items.lowerBound
        Fixtures.run(&s, .click(column: s.layout.jobs.x + 5, row: screenRow(of: next, in: .jobs, s)))
        #expect(s.selectedJob?.id == jobs[next].id)
    }

    @Test func clickingBelowTheLastItemOnlyFocusesThePane() throws {
        var s = Fixtures.state()
        Fixtures.run(&s, .loaded([try Fixtures.latent("a"), try Fixtures.latent("b")], errors: []))
        s.focus = .presets
        s.sourceIndex = 0
        Fixtures.run(&s, .click(column: s.layout.sources.x + 3, row: s.layout.sources.inner.y + 5))
        #expect(s.focus == .sources && s.sourceIndex == 0)
    }
}
