import Foundation
import Synchronization

/// An MP4 encoded while its frames are still being made: ffmpeg reads raw RGB frames on stdin as
/// they are appended, and `finish` returns the file once the last one is in, so encoding overlaps
/// whatever makes the frames. Frames are written to ffmpeg from a queue of the stream's own, so
/// `append` never waits for the encoder.
public final class MP4Stream: Sendable {
    public let width: Int
    public let height: Int

    private struct State {
        var appended = 0
        var writeFailed = false
        var closed = false
    }

    private let process: ProcessHandle
    private let input: FileHandle
    private let errors: PipeDrain
    private let output: URL
    private let writes = DispatchQueue(label: "latentty.mp4stream")
    private let state = Mutex(State())

    /// Starts ffmpeg for frames of `width`×`height` at `fps`.
    public init(width: Int, height: Int, fps: Int = 15) throws(MP4Encoder.EncodeError) {
        guard let ffmpeg = MP4Encoder.findExecutable("ffmpeg") else { throw .ffmpegMissing }
        self.width = width
        self.height = height
        output = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-\(UUID().uuidString).mp4")
        let process = Process()
        process.executableURL = ffmpeg
        process.arguments = [
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)", "-r", String(fps), "-i", "pipe:0",
            // yuv420p needs even sides; pad by one pixel when a side is odd.
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", output.path,
        ]
        let stdin = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw .ffmpegFailed(status: -1, message: "\(error)")
        }
        self.process = ProcessHandle(process)
        input = stdin.fileHandleForWriting
        errors = PipeDrain(stderr)
    }

    deinit {
        cancel()
    }

    /// Hands `frame` to the encoder; it must have the stream's size.
    public func append(_ frame: RGBImage) throws(MP4Encoder.EncodeError) {
        guard frame.width == width, frame.height == height else { throw .mixedSizes }
        let open = state.withLock { state in
            guard !state.closed else { return false }
            state.appended += 1
            return true
        }
        guard open else { return }
        writes.async { [self] in
            guard !state.withLock({ $0.writeFailed }) else { return }
            do {
                try input.write(contentsOf: frame.pixels)
            } catch {
                state.withLock { $0.writeFailed = true }
            }
        }
    }

    /// Frames appended so far.
    public var frameCount: Int { state.withLock { $0.appended } }

    /// Ends the input and returns the MP4 once ffmpeg has written it.
    public func finish() throws(MP4Encoder.EncodeError) -> [UInt8] {
        let appended = state.withLock { state in
            defer { state.closed = true }
            return state.closed ? -1 : state.appended
        }
        guard appended != -1 else { throw .ffmpegFailed(status: -1, message: "the stream was already finished") }
        defer { try? FileManager.default.removeItem(at: output) }
        writes.sync {}
        try? input.close()
        let message = errors.wait()
        let status = process.wait()
        guard appended > 0 else { throw .noFrames }
        guard status == 0, let data = try? Data(contentsOf: output) else { throw .ffmpegFailed(status: status, message: message) }
        return Array(data)
    }

    /// Stops the encoder and throws its work away (the frames will not all come).
    public func cancel() {
        let wasOpen = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard wasOpen else { return }
        writes.sync {}
        try? input.close()
        process.terminate()
        _ = errors.wait()
        _ = process.wait()
        try? FileManager.default.removeItem(at: output)
    }
}

/// A started `Process`, used only to wait for it or stop it: both are safe from any thread.
private final class ProcessHandle: @unchecked Sendable {
    private let process: Process

    init(_ process: Process) { self.process = process }

    func wait() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    func terminate() {
        if process.isRunning { process.terminate() }
    }
}
