import Foundation
import LatentKit
import Synchronization
import Workbench

/// Prints job results for `decode`: a line each as text, or JSON lines; retries go to stderr as they
/// happen (as JSON lines too with `--json`, so a program reading both streams gets no prose), and a
/// video's frames decoded so far on one stderr line that rewrites itself, when stderr is a terminal. Names,
/// errors and endpoints come from files and endpoints, so every human line passes `TerminalSafe`.
final class JobReporter: Sendable {
    let json: Bool
    let showsFrames: Bool
    private let retriesSeen = Mutex<[UUID: Int]>([:])
    /// Whether a progress line is on stderr now, to be cleared before anything else is printed.
    private let progressShown = Mutex(false)

    init(json: Bool, showsFrames: Bool = false) {
        self.json = json
        self.showsFrames = showsFrames
    }

    func observe(_ status: JobStatus) {
        if showsFrames { showFrames(status) }
        let seen = retriesSeen.withLock { seen in
            defer { seen[status.id] = status.retries }
            return seen[status.id] ?? 0
        }
        guard status.retries > seen, let reason = status.lastRetryReason else { return }
        if json {
            printJSONLine(["job": status.name, "state": "retrying", "try": status.retries + 1, "reason": reason], to: .standardError)
        } else {
            printError("retrying \(status.name) (try \(status.retries + 1)): \(reason)")
        }
    }

    /// `name: frames 12/61, ETA 8 s` in place, while a video decodes.
    private func showFrames(_ status: JobStatus) {
        progressShown.withLock { shown in
            if let frames = status.frames, !status.state.isFinished {
                let eta = frames.eta.map { String(format: ", ETA %.0f s", $0.rounded(.up)) } ?? ""
                let line = "\(status.name): frames \(frames.done)/\(frames.total)\(eta)".terminalSafe
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
                shown = true
            } else if shown {
                FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
                shown = false
            }
        }
    }

    func loadFailed(path: String, error: any Error) {
        if json {
            printJSONLine(["job": path, "state": "failed", "error": String(describing: error)])
        } else {
            printLine("failed  \(path): \(error)")
        }
    }

    func finished(_ status: JobStatus) {
        if json {
            var object: [String: Any] = [
                "job": status.name, "state": status.state.rawValue, "retries": status.retries,
                "bytes_up": status.progress.uploaded, "bytes_down": status.progress.downloaded,
                "timings": status.timings, "outputs": status.outputs,
            ]
            if let endpoint = status.endpoint { object["endpoint"] = endpoint }
            if let engine = status.engine { object["engine"] = engine }
            if let error = status.error { object["error"] = error }
            if let frames = status.frames { object["frames"] = ["done": frames.done, "total": frames.total] }
            printJSONLine(object)
            return
        }
        switch status.state {
        case .done:
            let files = status.outputs.filter { !$0.hasSuffix(".json") }.map(relativePath).joined(separator: ", ")
            var facts: [String] = []
            if let total = status.timings["total"] { facts.append(String(format: "%.2f s", total)) }
            let phases = ["upload", "wait", "download", "decode", "encode", "write"].compactMap { key in
                status.timings[key].map { String(format: "%@ %.2f", key, $0) }
            }
            if !phases.isEmpty { facts.append("(" + phases.joined(separator: ", ") + ")") }
            if status.progress.uploaded > 0 || status.progress.downloaded > 0 {
                facts.append("up \(ByteCount.text(status.progress.uploaded)) down \(ByteCount.text(status.progress.downloaded))")
            }
            if status.retries > 0 { facts.append("retries \(status.retries)") }
            printLine("done    \(status.name) → \(files)  \(facts.joined(separator: "  "))")
        case .cancelled:
            printLine("cancelled \(status.name)")
        default:
            printLine("failed  \(status.name): \(status.error ?? "unknown error")")
        }
    }
}

/// `path` from the working folder when it lies inside it: what a person typed, more or less.
func relativePath(_ path: String) -> String {
    let cwd = FileManager.default.currentDirectoryPath + "/"
    return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
}

/// JSON escapes control characters itself, so these lines need no `TerminalSafe`.
func printJSONLine(_ object: [String: Any], to handle: FileHandle? = nil) {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
    // JSON leaves DEL, C1 controls and bidi overrides raw; a hostile file name must not reach the terminal so.
    let line = TerminalSafe.json(String(decoding: data, as: UTF8.self))
    if let handle {
        handle.write(Data((line + "\n").utf8))
    } else {
        print(line)
    }
}

/// One line of text that may carry untrusted words, on stdout.
func printLine(_ line: String) {
    print(line.terminalSafe)
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line.terminalSafe + "\n").utf8))
}
