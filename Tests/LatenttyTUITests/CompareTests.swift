import Foundation
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import Workbench

/// `m` marks, a second `m` on a compatible result compares, Esc or `m` on the mark leaves.
@Suite struct CompareTests {
    /// Two finished 64×64 sd15 images and a 256×256 video. Their latents need not be loaded: the
    /// geometry travels with each job (and through the journal).
    func stateWithResults() throws -> (AppState, [JobStatus]) {
        var s = Fixtures.state()
        let image = ResultGeometry(isVideo: false, width: 64, height: 64)
        let jobs = [
            Fixtures.job("a", .done, geometry: image), Fixtures.job("b", .done, geometry: image),
            Fixtures.job("clip", .done, geometry: ResultGeometry(isVideo: true, width: 256, height: 256)),
        ]
        for job in jobs { Fixtures.run(&s, .queue(.status(job))) }
        s.focus = .jobs
        return (s, jobs)
    }

    @Test func movingTheCursorDoesNotCompareUntilASecondM() throws {
        var (s, jobs) = try stateWithResults()
        Fixtures.run(&s, .command(.compare))
        #expect(s.compareMark == jobs[0].id && s.comparison == nil)
        Fixtures.run(&s, .command(.down))
        #expect(s.comparison == nil)
        Fixtures.run(&s, .command(.compare))
        #expect(s.comparison == Comparison(left: jobs[0].id, right: jobs[1].id) && s.focus == .preview)
    }

    @Test func incompatibleResultsAreRefusedWithTheReason() throws {
        var (s, jobs) = try stateWithResults()
        s.jobIndex = 2
        Fixtures.run(&s, .command(.compare))
        #expect(s.compareMark == jobs[2].id)
        s.jobIndex = 0
        Fixtures.run(&s, .command(.compare))
        #expect(s.comparison == nil)
        #expect(s.status == StatusMessage("can't compare a 256×256 video with a 64×64 image", .warning))
    }

    @Test func whileMarkedTheStatusLineOffersTheWayOut() throws {
        var (s, _) = try stateWithResults()
        s.status = nil
        #expect(!StatusBar.buttons(for: s).contains { $0.command == .back })
        Fixtures.run(&s, .command(.compare))
        s.status = nil
        let leave = try #require(StatusBar.buttons(for: s).first)
        #expect(leave.text == "Esc leave compare" && leave.command == .back)
        Fixtures.run(&s, .click(column: leave.column, row: s.layout.status.y))
        #expect(s.compareMark == nil)
    }

    @Test func escAndUnmarkingLeaveCompareMode() throws {
        var (s, _) = try stateWithResults()
        Fixtures.run(&s, .command(.compare), .command(.down), .command(.compare))
        #expect(s.comparison != nil)
        Fixtures.run(&s, .command(.back))
        #expect(s.comparison == nil && s.compareMark == nil)
        s.focus = .jobs
        s.jobIndex = 0
        Fixtures.run(&s, .command(.compare), .command(.down), .command(.compare), .command(.up), .command(.compare))
        #expect(s.comparison == nil && s.compareMark == nil)
    }

    @Test func clearingAComparedJobEndsTheComparison() throws {
        var (s, jobs) = try stateWithResults()
        Fixtures.run(&s, .command(.compare), .command(.down), .command(.compare))
        Fixtures.run(&s, .queue(.removed([jobs[1].id])))
        #expect(s.comparison == nil)
    }

    @Test func compareMarksTwoResults() {
        var s = Fixtures.state()
        let a = Fixtures.job("a", .done)
        let b = Fixtures.job("b", .done)
        Fixtures.run(&s, .queue(.status(a)), .queue(.status(b)))
        s.focus = .jobs
        Fixtures.run(&s, .command(.compare))
        #expect(s.compareMark == a.id)
        Fixtures.run(&s, .command(.down), .command(.compare))
        #expect(s.focus == .preview && s.compareMark == a.id && s.selectedJob?.id == b.id)
    }
}
