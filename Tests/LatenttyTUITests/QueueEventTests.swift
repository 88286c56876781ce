import Foundation
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import Workbench

/// The queue's reports keep the job list and announce results.
@Suite struct QueueEventTests {
    @Test func queueEventsKeepTheJobListAndAnnounceResults() {
        var s = Fixtures.state()
        var job = Fixtures.job("a", .queued)
        Fixtures.run(&s, .queue(.status(job)))
        job.state = .uploading
        Fixtures.run(&s, .queue(.status(job)))
        #expect(s.jobs.count == 1 && s.jobs[0].state == .uploading)
        job.state = .done
        job.outputs = ["/out/a.png", "/out/a.json"]
        Fixtures.run(&s, .queue(.status(job)))
        #expect(s.status == StatusMessage("a done → /out/a.png", .success))
        var failing = Fixtures.job("b", .queued)
        Fixtures.run(&s, .queue(.status(failing)))
        failing.state = .failed
        failing.failure = .endpoint("HTTP 503", retryable: true)
        Fixtures.run(&s, .queue(.status(failing)))
        #expect(s.status?.kind == .error && s.status?.text == "b failed: HTTP 503")
        Fixtures.run(&s, .queue(.order([failing.id, job.id])))
        #expect(s.jobs.map(\.name) == ["b", "a"])
        Fixtures.run(&s, .queue(.removed([job.id])))
        #expect(s.jobs.map(\.name) == ["b"])
    }
}

/// A journal that cannot be written is said in the status line, not swallowed.
@Suite struct JournalWarningTests {
    @Test func aFailedJournalWriteReachesTheStatusLine() {
        var s = Fixtures.state()
        let message = "the job journal cannot be written (/x is a file, not a folder); jobs will not resume after quitting"
        Fixtures.run(&s, .queue(.journalFailed(message)))
        #expect(s.status?.text == message && s.status?.kind == .warning)
    }
}
