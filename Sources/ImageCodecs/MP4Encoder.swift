import Foundation

/// MP4 (H.264) through the ffmpeg command-line tool: latentty streams raw RGB frames to it and reads
/// the file back (`MP4Stream`, also while the frames are still being decoded). A subprocess rather than libav* bindings keeps a crash in a codec out of latentty.
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

    /// All of `frames` at once, through an `MP4Stream`.
    public static func encode(_ frames: [RGBImage], fps: Int = 15) throws(EncodeError) -> [UInt8] {
        guard let first = frames.first else { throw .noFrames }
        guard frames.allSatisfy({ $0.width == first.width && $0.height == first.height }) else { throw .mixedSizes }
        let stream = try MP4Stream(width: first.width, height: first.height, fps: fps)
        for frame in frames { try stream.append(frame) }
        return try stream.finish()
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

/// Reads an MP4's frames back through ffprobe and ffmpeg (for playing video results in the terminal).
public enum MP4Decoder {
    public static func frames(of url: URL, maxFrames: Int = 256) throws(MP4Encoder.EncodeError) -> [RGBImage] {
        guard let ffprobe = MP4Encoder.findExecutable("ffprobe"), let ffmpeg = MP4Encoder.findExecutable("ffmpeg") else {
            throw .ffmpegMissing
        }
        let probe = ExternalTool.run(
            ffprobe,
            arguments: ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", url.path])
        let (probeStatus, probeError) = (probe.status, probe.errors)
        let sizes = String(decoding: probe.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
            .compactMap { Int($0) }
        guard probeStatus == 0, sizes.count == 2, sizes[0] > 0, sizes[1] > 0, sizes[0] <= ImageLimits.maxSide,
            sizes[1] <= ImageLimits.maxSide
        else {
            throw .ffmpegFailed(status: probeStatus, message: probeError.isEmpty ? "not a video ffprobe understands" : probeError)
        }
        let (width, height) = (sizes[0], sizes[1])
        let decoded = ExternalTool.run(
            ffmpeg,
            arguments: ["-v", "error", "-i", url.path, "-frames:v", String(maxFrames), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
        guard decoded.status == 0 else { throw .ffmpegFailed(status: decoded.status, message: decoded.errors) }
        let raw = decoded.output
        let frameBytes = width * height * 3
        return stride(from: 0, to: raw.count - frameBytes + 1, by: frameBytes).compactMap { start in
            try? RGBImage(width: width, height: height, pixels: Array(raw[start..<(start + frameBytes)]))
        }
    }
}

extension MP4Decoder {
    /// The rate the video's first stream plays at, as ffprobe reads it from the container; nil when
    /// ffprobe is missing or the file names none.
    public static func frameRate(of url: URL) -> Double? {
        guard let ffprobe = MP4Encoder.findExecutable("ffprobe") else { return nil }
        let probe = ExternalTool.run(
            ffprobe,
            arguments: ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=avg_frame_rate", "-of", "csv=p=0", url.path])
        guard probe.status == 0 else { return nil }
        // "15/1", or "0/0" when the container does not say.
        let parts = String(decoding: probe.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "/")
            .compactMap { Double($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return nil }
        return parts[0] / parts[1]
    }
}
