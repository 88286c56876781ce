import Foundation
import Synchronization

/// An MP4 encoded while its frames are still being made: ffmpeg reads raw RGB frames on stdin as
/// they are appended, and `finish` returns the file once the last one is in, so encoding overlaps
/// whatever makes the frames. A thread of the stream's own writes the frames, so `append` never
/// waits for the encoder, and with SIGPIPE blocked there an ffmpeg that dies early is a failed
/// write, not the end of latentty.
public final class MP4Stream: Sendable {
    public let width: Int
    public let height: Int

    private let process: ProcessHandle
    private let input: FileHandle
    private let errors: PipeDrain
    private let output: URL
    private let feed: FrameFeed

    /// Starts ffmpeg for frames of `width`×`height` at `fps`.
    public convenience init(width: Int, height: Int, fps: Int = 15) throws(MP4Encoder.EncodeError) {
        guard let ffmpeg = MP4Encoder.findExecutable("ffmpeg") else { throw .ffmpegMissing }
        try self.init(ffmpeg: ffmpeg, width: width, height: height, fps: fps)
    }

    init(ffmpeg: URL, width: Int, height: Int, fps: Int) throws(MP4Encoder.EncodeError) {
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
        let feed = FrameFeed(descriptor: input.fileDescriptor)
        self.feed = feed
        Thread.detachNewThread { feed.run() }
    }

    deinit {
        cancel()
    }

    /// Hands `frame` to the encoder; it must have the stream's size.
    public func append(_ frame: RGBImage) throws(MP4Encoder.EncodeError) {
        guard frame.width == width, frame.height == height else { throw .mixedSizes }
        feed.append(frame)
    }

    /// Frames appended so far.
    public var frameCount: Int { feed.appended }

    /// Ends the input and returns the MP4 once ffmpeg has written it.
    public func finish() throws(MP4Encoder.EncodeError) -> [UInt8] {
        guard let appended = feed.close(dropping: false) else {
            throw .ffmpegFailed(status: -1, message: "the stream was already finished")
        }
        try? input.close()
        defer { try? FileManager.default.removeItem(at: output) }
        let message = errors.wait()
        let status = process.wait()
        guard appended > 0 else { throw .noFrames }
        guard status == 0, let data = try? Data(contentsOf: output) else { throw .ffmpegFailed(status: status, message: message) }
        return Array(data)
    }

    /// Stops the encoder and throws its work away (the frames will not all come).
    public func cancel() {
        guard feed.close(dropping: true) != nil else { return }
        try? input.close()
        process.terminate()
        _ = errors.wait()
        _ = process.wait()
        try? FileManager.default.removeItem(at: output)
    }
}

/// Frames on their way to ffmpeg's stdin, written in order by a thread of their own that blocks
/// SIGPIPE, so an ffmpeg that dies early is a failed write, not the end of latentty.
private final class FrameFeed: Sendable {
    private struct State {
        var pending: [RGBImage] = []
        var appended = 0
        var writeFailed = false
        /// No more frames: the writer ends once `pending` is written.
        var closed = false
    }

    private let descriptor: Int32
    private let state = Mutex(State())
    /// One signal per appended frame, and one for closing.
    private let available = DispatchSemaphore(value: 0)
    private let writerDone = DispatchSemaphore(value: 0)

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    var appended: Int { state.withLock { $0.appended } }

    func append(_ frame: RGBImage) {
        let open = state.withLock { state in
            guard !state.closed else { return false }
            state.pending.append(frame)
            state.appended += 1
            return true
        }
        if open { available.signal() }
    }

    /// Lets the writer end (after the frames waiting, unless `dropping` them) and waits until it
    /// has; returns the frames appended, or nil when it was closed before.
    func close(dropping: Bool) -> Int? {
        let appended = state.withLock { state -> Int? in
            guard !state.closed else { return nil }
            state.closed = true
            if dropping { state.pending.removeAll() }
            return state.appended
        }
        guard let appended else { return nil }
        available.signal()
        writerDone.wait()
        return appended
    }

    /// The writer thread's loop.
    func run() {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        defer { writerDone.signal() }
        while true {
            available.wait()
            let next = state.withLock { state -> (frame: RGBImage?, done: Bool) in
                if state.pending.isEmpty { return (nil, state.closed) }
                let frame = state.pending.removeFirst()
                return (state.writeFailed ? nil : frame, false)
            }
            if next.done { return }
            if let frame = next.frame, !Self.writeAll(frame.pixels, to: descriptor) { state.withLock { $0.writeFailed = true } }
        }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
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
