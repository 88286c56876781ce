import Foundation
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import Workbench

/// What the loop used to do on the side now happens in the reducer: status expiry, `--decode`,
/// and the current directory come in as data.
@Suite struct ReducerOwnsStateTests {
    let start = Date(timeIntervalSince1970: 5000)

    @Test func statusMessagesExpireAfterTheirLifetime() {
        var s = Fixtures.state()
        s.status = StatusMessage("hello")
        Fixtures.run(&s, .tick(now: start))
        #expect(s.status?.text == "hello" && s.status?.shownAt == start)
        Fixtures.run(&s, .tick(now: start.addingTimeInterval(StatusMessage("x").lifetime - 0.5)))
        #expect(s.status?.text == "hello")
        Fixtures.run(&s, .tick(now: start.addingTimeInterval(StatusMessage("x").lifetime)))
        #expect(s.status == nil)
    }

    @Test func aNewMessageStartsItsOwnLifetimeAndErrorsStayLonger() {
        var s = Fixtures.state()
        s.status = StatusMessage("first")
        Fixtures.run(&s, .tick(now: start), .message(StatusMessage("broken", .error)), .tick(now: start.addingTimeInterval(3.9)))
        Fixtures.run(&s, .tick(now: start.addingTimeInterval(10)))
        #expect(s.status?.text == "broken")
        Fixtures.run(&s, .tick(now: start.addingTimeInterval(3.9 + StatusMessage("x", .error).lifetime)))
        #expect(s.status == nil)
    }

    @Test func aWarningSetByAKeyIsStillThereAfterIt() throws {
        var s = Fixtures.state()
        Fixtures.run(&s, .command(.decode), .tick(now: start))
        #expect(s.status == PaneReducer.nothingLoaded.stamped(start))
    }

    @Test func autoDecodeSubmitsTheFirstLoadOnly() throws {
        var s = Fixtures.state()
        s.autoDecode = true
        let a = try Fixtures.latent("a")
        #expect(Fixtures.run(&s, .loaded([], errors: ["x.pt: broken"])).isEmpty)
        #expect(Fixtures.submitted(Fixtures.run(&s, .loaded([a], errors: []))) == ["a"])
        #expect(!s.autoDecode)
        #expect(Fixtures.run(&s, .loaded([try Fixtures.latent("b")], errors: [])).isEmpty)
    }

    @Test func theOpenAndWatchDialogsStartInTheInjectedDirectory() {
        var s = Fixtures.state()
        #expect(Fixtures.run(&s, .command(.open)) == [.list(directory: "/work/here")])
        Fixtures.run(&s, .command(.back), .command(.watch))
        #expect(s.overlay == .watch(TextField("folder", "/work/here/")))
    }

    @Test func aRelativeLatentPathOpensBesideItInTheInjectedDirectory() throws {
        var s = Fixtures.state()
        var latent = try Fixtures.latent("a")
        latent.source = JobSource(path: "Samples/a.npy")
        Fixtures.run(&s, .loaded([latent], errors: []), .command(.back))
        #expect(Fixtures.run(&s, .command(.open)) == [.list(directory: "/work/here/Samples")])
        #expect(FileDialog.folder(of: "/x.npy", workingDirectory: "/w") == "/")
        #expect(FileDialog.folder(of: "/d/e/x.npy", workingDirectory: "/w") == "/d/e")
    }

    @Test func ctrlCAndQuitAskWhileJobsWaitAndASecondOneConfirms() {
        var s = Fixtures.state()
        Fixtures.run(&s, .queue(.status(Fixtures.job("waiting", .queued))))
        #expect(Fixtures.run(&s, .command(.quit)).isEmpty && s.overlay == .confirmQuit)
        #expect(Fixtures.run(&s, .command(.quit)) == [.quit] && s.shouldQuit)
    }
}

extension StatusMessage {
    func stamped(_ date: Date) -> StatusMessage {
        var message = self
        message.shownAt = date
        return message
    }
}
