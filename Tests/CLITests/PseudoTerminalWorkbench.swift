import Foundation

/// The workbench on a real pseudo-terminal (util-linux `script`), as the tests that read what it
/// writes run it: its own state and config folders under `root`, keys through a pipe, the screen
/// through another, and a watchdog so a workbench that never draws fails the test instead of hanging it.
struct PseudoTerminalWorkbench {
    let process: Process
    let keys = Pipe()
    let screen = Pipe()
    private let watchdog: DispatchWorkItem

    /// `arguments` go to latentty; `prelude` runs in the shell first (after the terminal is sized).
    init(_ arguments: [String], root: URL, columns: Int, rows: Int, prelude: String = "") throws {
        let command = ([CLITests.binary.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = [
            "-q", "-f", "-e", "-c", "stty cols \(columns) rows \(rows); \(prelude) exec \(command)",
            root.appendingPathComponent("typescript").path,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "xterm-256color"
        environment["XDG_STATE_HOME"] = root.appendingPathComponent("state").path
        environment["XDG_CONFIG_HOME"] = root.appendingPathComponent("config").path
        process.environment = environment
        process.standardInput = keys
        process.standardOutput = screen
        process.standardError = FileHandle.nullDevice
        try process.run()
        let process = process
        watchdog = DispatchWorkItem { process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
    }

    func cancelWatchdog() { watchdog.cancel() }
}
