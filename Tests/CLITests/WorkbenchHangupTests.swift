import Foundation
import Testing

/// The workbench on a pseudo-terminal (util-linux `script`) that goes away under it, with SIGHUP
/// ignored as under `nohup`: it must notice and exit, not spin on failing reads for ever (which is
/// what orphaned workbenches did, at over half a core each).
@Suite(.serialized) struct WorkbenchHangupTests {
    @Test func theWorkbenchExitsWhenItsTerminalCloses() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-hangup-\(UUID().uuidString)")
        let out = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let terminal = try PseudoTerminalWorkbench(
            ["--no-journal", "--graphics", "none", "--out", out.path], root: root, columns: 100, rows: 30, prelude: "trap '' HUP;")
        let process = terminal.process
        defer { terminal.cancelWatchdog() }

        var written = ""
        while !written.contains("Jobs") {
            let chunk = terminal.screen.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            written += String(decoding: chunk, as: UTF8.self)
        }
        #expect(written.contains("Jobs"), "the workbench never drew")
        let workbench = try #require(Self.processes(withArgument: out.path).first, "no workbench process found")

        // The terminal goes away: `script` dies and its pseudo-terminal closes. (Waiting for `script`
        // comes last: Foundation also waits for what inherited its end of the exit socket, the workbench.)
        kill(process.processIdentifier, SIGKILL)
        // The deadline only bounds a failure; a workbench that notices exits within one 33 ms read.
        let deadline = Date().addingTimeInterval(20)
        while Self.isRunning(workbench), Date() < deadline { usleep(50_000) }
        let stillRunning = Self.isRunning(workbench)
        if stillRunning { kill(workbench, SIGKILL) }
        process.waitUntilExit()
        #expect(!stillRunning, "the workbench kept running after its terminal closed")
    }

    /// Processes whose command line has `argument` (from /proc).
    static func processes(withArgument argument: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let line = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
            return line.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == argument }
        }
    }

    /// Alive and not a zombie waiting to be reaped by whoever adopted it.
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }
}
