import Foundation

/// MP4 (H.264) through the ffmpeg command-line tool: latentty streams raw RGB frames to it and reads
/// the file back. A subprocess rather than libav* bindings keeps a crash in a codec out of latentty.
public enum MP4Encoder {
    public enum EncodeError: Error, Equatable, CustomStringConvertible {
        case noFrames
        case mixedSizes
        case ffmpegMissing
        case ffmpegFailed(status: Int32, message: String)

        public var description: String {
            switch self {
            case .noFrames: "there are no frames to encode"
            case .mixedSizes: "video frames must all have the same size"
            case .ffmpegMissing: "ffmpeg is not installed (run scripts/setup, or apt-get install ffmpeg) — it is needed for MP4"
            case .ffmpegFailed(let status, let message): "ffmpeg failed (exit \(status)): \(message)"
            }
        }
    }

    public static func encode(_ frames: [RGBImage], fps: Int = 15) throws(EncodeError) -> [UInt8] {
        guard let first = frames.first else { throw .noFrames }
        guard frames.allSatisfy({ $0.width == first.width && $0.height == first.height }) else { throw .mixedSizes }
        guard let ffmpeg = findExecutable("ffmpeg") else { throw .ffmpegMissing }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-\(UUID().uuidString).mp4")
        defer { try? FileManager.default.removeItem(at: output) }
        let arguments = [
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(first.width)x\(first.height)", "-r", String(fps), "-i", "pipe:0",
            // yuv420p needs even sides; pad by one pixel when a side is odd.
            "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", output.path,
        ]
        var input = Data(capacity: frames.count * first.pixels.count)
        for frame in frames { input.append(contentsOf: frame.pixels) }
        let (status, message) = runProcess(ffmpeg, arguments: arguments, input: input)
        guard status == 0, let data = try? Data(contentsOf: output) else {
            throw .ffmpegFailed(status: status, message: message)
        }
        return Array(data)
    }

    /// Runs a tool with `input` on stdin; returns its exit status and stderr. Stdin is fed from
    /// another thread so neither side can block the other on a full pipe.
    static func runProcess(_ executable: URL, arguments: [String], input: Data) -> (Int32, String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdin = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return (-1, "\(error)")
        }
        let writer = Thread {
            try? stdin.fileHandleForWriting.write(contentsOf: input)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let errorData = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let message = String(decoding: errorData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return (process.terminationStatus, String(message.suffix(500)))
    }

    public static func findExecutable(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
