import Foundation
import Glibc
import ImageCodecs
import Testing

/// The workbench in a real terminal (tmux): start it on a sample against `latentty serve`, watch the
/// job finish and the file appear, resize, cancel a job that hangs, quit.
@Suite(.serialized) struct WorkbenchTmuxTests {
    let session = "latentty-e2e-\(UUID().uuidString.prefix(8))"
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-tui-\(UUID().uuidString)")

    /// Runs tmux with posix_spawn and waitpid. Foundation's Process notices a child's exit through an
    /// inherited descriptor, and the tmux server that `new-session` leaves behind inherits it too,
    /// so Process would wait for the server's whole life.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        let capturing = ["capture-pane", "display"].contains(arguments.first)
        var pipeEnds: [Int32] = [-1, -1]
        if capturing { guard pipe(&pipeEnds) == 0 else { throw POSIXError(.EMFILE) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if capturing {
            posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
            posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Nothing else of this process may leak into the tmux server, which outlives the test (with a
        // `sleep 60` per pane): an inherited pipe of another test's child would keep that test
        // waiting for end-of-file for a minute.
        Self.closeFrom(3, in: &actions)
        let argv = (["tmux", "-L", session] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // The test's threads block most signals and a spawned process inherits that mask: a tmux
        // server started with SIGTERM and SIGHUP blocked ignores `kill-server` and outlives the test
        // with its pane's workbench still running. The server gets a clean mask and default actions.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        guard posix_spawnp(&pid, "tmux", &actions, &attributes, argv, environ) == 0 else { throw POSIXError(.ENOENT) }
        var output: [UInt8] = []
        if capturing {
            close(pipeEnds[1])
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(pipeEnds[0], &buffer, buffer.count)
                if count <= 0 { break }
                output += buffer[0..<count]
            }
            close(pipeEnds[0])
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return String(decoding: output, as: UTF8.self)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not show.
    static func closeFrom(_ descriptor: Int32, in actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, descriptor)
    }

    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", session]) }

    /// Polls the screen until `condition` holds; the deadline only bounds a failure.
    func waitFor(_ what: String, timeout: Double = 30, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            usleep(100_000)
        }
        Issue.record("timed out waiting for \(what); the screen was:\n\(last)")
        return last
    }

    /// The shell command that runs latentty in the checkout, or with `fromElsewhere` as an installed
    /// binary is run: by name through `PATH`, from a directory outside the checkout.
    func command(_ arguments: [String], fromElsewhere: Bool = false) -> String {
        let program = fromElsewhere ? "latentty" : CLITests.binary.path
        let quoted = ([program] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let directory = fromElsewhere ? home.path : CLITests.repository.path
        let path = CLITests.binary.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return
            "cd '\(directory)' && env PATH='\(path)' TERM=xterm-256color XDG_STATE_HOME='\(home.path)/state' XDG_CONFIG_HOME='\(home.path)/config' \(quoted); echo EXITED $?; sleep 60"
    }

    func start(_ arguments: [String], columns: Int = 100, rows: Int = 30, fromElsewhere: Bool = false) throws {
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try tmux([
            "new-session", "-d", "-s", session, "-x", String(columns), "-y", String(rows), command(arguments, fromElsewhere: fromElsewhere),
        ])
    }

    /// Runs latentty again in the same pane, as a person would after it died.
    func restart(_ arguments: [String]) throws {
        try tmux(["respawn-pane", "-k", "-t", session, command(arguments)])
    }

    func stop() { _ = try? tmux(["kill-server"]) }

    @Test func decodeASampleAgainstServeThenResizeAndQuit() throws {
        defer { stop() }
        let out = home.appendingPathComponent("out")
        try CLITests.withServe { url in
            try start([
                "Samples/sd15_512_seed13.safetensors", "--preset", "sd15", "--endpoint", url, "--decode", "--out", out.path, "--graphics",
                "blocks",
            ])
            let done = try waitFor("the job to finish") { $0.contains("✓ done") }
            #expect(done.contains("sd15_512_seed13"))
            #expect(done.contains("sd15_512_seed13 done → /"))
            let jpeg = try ImageDecoder.decode(Array(try Data(contentsOf: out.appendingPathComponent("sd15_512_seed13.jpg"))))
            #expect(jpeg.width == 512)
            // The preview is drawn with half blocks (tmux 3.3 has no sixel).
            _ = try waitFor("the preview") { $0.contains("▀▀▀▀") }

            try tmux(["resize-window", "-t", session, "-x", "120", "-y", "40"])
            let wide = try waitFor("the wider layout") { screen in
                screen.split(separator: "\n").first.map { $0.count == 120 && $0.hasSuffix("┐") } ?? false
            }
            let lines = wide.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count >= 40)
            #expect(lines.prefix(40).allSatisfy { $0.count <= 120 })

            try tmux(["resize-window", "-t", session, "-x", "60", "-y", "20"])
            _ = try waitFor("the too-small message") { $0.contains("needs a terminal of at least 80×24") }
            try tmux(["resize-window", "-t", session, "-x", "100", "-y", "30"])
            _ = try waitFor("the layout again") { $0.contains("Preview") && !$0.contains("needs a terminal") }

            try tmux(["send-keys", "-t", session, "?"])
            _ = try waitFor("the help overlay") { $0.contains("Keys — sources pane") }
            try tmux(["send-keys", "-t", session, "Escape"])
            _ = try waitFor("the help to close") { !$0.contains("Keys — sources pane") }
            // Open a second sample through the file dialog (it starts in Samples/).
            try tmux(["send-keys", "-t", session, "o"])
            _ = try waitFor("the open dialog") { $0.contains("Open latents") && $0.contains("sd15_512_seed7.npy") }
            try tmux(["send-keys", "-t", session, "-l", "sd15_512_seed7"])
            try tmux(["send-keys", "-t", session, "Enter"])
            let loaded = try waitFor("the sample to load") { $0.contains("loaded 1 latent") }
            #expect(loaded.contains("sd15_512_seed7 1×4×64×64"))
            try tmux(["send-keys", "-t", session, "q"])
            _ = try waitFor("latentty to exit") { $0.contains("EXITED 0") }
        }
    }

    /// A listener that never accepts: the connection opens, the answer never comes. Close-on-exec,
    /// or tmux and the shells it starts would keep it listening after the test closes it.
    func silentListener() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 8)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func aJobKilledMidFlightResumesOnItsEndpointAfterRestart() throws {
        defer { stop() }
        let out = home.appendingPathComponent("out")
        let (fd, port) = silentListener()
        try start(["Samples/sd15_512_seed13.safetensors", "--endpoint", "http://127.0.0.1:\(port)/", "--decode", "--out", out.path])
        _ = try waitFor("the job to start") { $0.contains("uploading") || $0.contains("waiting") }
        let shell = try tmux(["display", "-p", "-t", session, "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
        let workbench = try #require(children.split(separator: " ").first.flatMap { pid_t($0) })
        kill(workbench, SIGKILL)
        _ = try waitFor("latentty to die") { $0.contains("EXITED 137") }
        close(fd)
        // The endpoint comes back on the same port; the restarted workbench is given no file at all.
        try CLITests.withServe(port: port) { url in
            try restart(["--out", out.path, "--graphics", "none"])
            let done = try waitFor("the journaled job to finish") { $0.contains("✓ done") }
            #expect(done.contains("sd15_512_seed13") && done.contains("127.0.0.1:\(port)"))
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("sd15_512_seed13.jpg").path))
            #expect(url.hasSuffix(":\(port)/"))
            try tmux(["send-keys", "-t", session, "q"])
            _ = try waitFor("latentty to exit") { $0.contains("EXITED 0") }
        }
    }

    @Test func cancelAJobThatNeverAnswers() throws {
        defer { stop() }
        let (fd, port) = silentListener()
        defer { close(fd) }
        let url = "http://127.0.0.1:\(port)/"

        try start([
            "Samples/sd15_512_seed13.safetensors", "--endpoint", url, "--decode", "--out", home.appendingPathComponent("out").path,
            "--no-journal",
        ])
        _ = try waitFor("the job to start") { $0.contains("uploading") || $0.contains("waiting") }
        #expect(try screen().contains("Jobs · 1 running"))
        // ^C asks first while a job is unfinished, as q does.
        try tmux(["send-keys", "-t", session, "C-c"])
        _ = try waitFor("the quit question") { $0.contains("Quit?") && $0.contains("1 job unfinished") }
        try tmux(["send-keys", "-t", session, "Escape"])
        _ = try waitFor("the question to close") { !$0.contains("Quit?") }
        try tmux(["send-keys", "-t", session, "Tab"])
        try tmux(["send-keys", "-t", session, "c"])
        _ = try waitFor("the job to be cancelled") { $0.contains("– cancelled") }
        try tmux(["send-keys", "-t", session, "q"])
        _ = try waitFor("latentty to exit") { $0.contains("EXITED 0") }
    }

    /// A real click through curses (a press and a release) on a status-line button saves once.
    /// (Which report counts is pinned down in `MouseTests`; here the whole path is exercised.)
    @Test func clickingSaveInTheStatusLineSavesOnce() throws {
        defer { stop() }
        let out = home.appendingPathComponent("out")
        try start(["Samples/sd15_512_seed13.safetensors", "--local", "--decode", "--out", out.path, "--no-journal"])
        _ = try waitFor("the job to finish") { $0.contains("✓ done") }
        try tmux(["send-keys", "-t", session, "Tab", "Escape"])
        let buttons = try waitFor("the jobs pane's buttons") { $0.split(separator: "\n").last?.contains("s save") == true }
        let statusLine = String(buttons.split(separator: "\n").last ?? "")
        let column = try #require(statusLine.range(of: "s save")).lowerBound.utf16Offset(in: statusLine) + 2
        // An SGR mouse report (1-based column and row): the press, then the release.
        try tmux(["send-keys", "-t", session, "-l", "\u{1B}[<0;\(column);30M\u{1B}[<0;\(column);30m"])
        _ = try waitFor("the click to save") { $0.contains("saved ") }
        try tmux(["send-keys", "-t", session, "s"])
        _ = try waitFor("the key to save again") { $0.contains("sd15_512_seed13-") }
        let saved = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("saved").path).sorted()
        #expect(saved == ["sd15_512_seed13-2.jpg", "sd15_512_seed13.jpg"])
        try tmux(["send-keys", "-t", session, "q"])
        _ = try waitFor("latentty to exit") { $0.contains("EXITED 0") }
    }

    @Test func anInstalledBinaryFindsItsThemesAndSamples() throws {
        defer { stop() }
        try start(["--local", "--theme", "nord", "--no-journal"], fromElsewhere: true)
        _ = try waitFor("the workbench") { $0.contains("Presets") }
        try tmux(["send-keys", "-t", session, "o"])
        _ = try waitFor("the open dialog in Samples/") { $0.contains("Open latents") && $0.contains("sd15_512_seed7.npy") }
        try tmux(["send-keys", "-t", session, "Escape"])
        // ^C with nothing running quits at once.
        try tmux(["send-keys", "-t", session, "C-c"])
        _ = try waitFor("latentty to exit") { $0.contains("EXITED 0") }
    }
}
