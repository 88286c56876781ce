import Foundation

/// Runs command-line tools (ffmpeg, ffprobe): stdin is fed and stderr drained on other threads
/// while stdout is read here, so no full pipe can block either side.
enum ExternalTool {
    struct Result {
        var status: Int32
        var output: Data
        /// The tail of stderr, trimmed: what to show a person when the tool fails.
        var errors: String
    }

    static func run(_ executable: URL, arguments: [String], input: Data? = nil) -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            return Result(status: -1, output: Data(), errors: "\(error)")
        }
        if let input {
            let writer = stdin.fileHandleForWriting
            Thread.detachNewThread {
                try? writer.write(contentsOf: input)
                try? writer.close()
            }
        }
        let errors = PipeDrain(stderr)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: output, errors: errors.wait())
    }
}

/// Reads a pipe to its end on another thread.
final class PipeDrain: @unchecked Sendable {
    // Written once by the reading thread before `done` is signalled, read only after.
    private var text = ""
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        Thread.detachNewThread { [self] in
            text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return String(text.suffix(500))
    }
}
