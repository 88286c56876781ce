import DecodePipeline
import Foundation
import ImageCodecs
import LatentKit
import Synchronization

/// A video's frames saved as PNGs (`<stem>_f0000.png`…) while the decode still runs, so a long
/// clip's first frames are on disk early and stay there if the decode fails later. The result's
/// stem is reserved with the first frame and held until `release`, so the rest of the result (the
/// MP4, the tensor, the sidecar) joins the frames under the same stem at the end. Each frame is
/// published whole (`SafeFolder`). Frames come in order from one writer at a time.
public final class FrameFiles: Sendable {
    private struct State {
        var stem: String?
        var written: [URL] = []
        var total = 0
        var failure: String?
    }

    private let folder: SafeFolder
    private let name: String
    private let metadata: ImageMetadata
    private let state = Mutex(State())

    init(directory: URL, job: DecodeJob) {
        folder = SafeFolder(url: directory)
        name = OutputWriter.safeStem(job.name)
        metadata = ImageMetadata(preset: job.preset.id, seed: job.source.seed, source: job.source.summary)
    }

    /// The frames written so far, in order.
    public var written: [URL] { state.withLock { $0.written } }

    /// Frames the whole result has, as the engine said (0 before the first frame).
    public var total: Int { state.withLock { $0.total } }

    /// Writes the frames of `batch` not written yet. After a failure nothing more is written; the
    /// failure is thrown by `finish`.
    public func write(_ batch: FrameBatch) {
        state.withLock { state in
            guard state.failure == nil else { return }
            state.total = batch.total
            do {
                let stem = try reserved(&state)
                for (offset, image) in batch.images.enumerated() where batch.first + offset == state.written.count {
                    let temporary = try folder.writeTemporary(try PNGCodec.encode(image, text: metadata.textChunks))
                    defer { unlink(temporary.path) }
                    state.written.append(try folder.publish(temporary, as: Self.fileName(stem, frame: batch.first + offset)))
                }
            } catch {
                state.failure = "\(error)"
            }
        }
    }

    /// The stem every file of the result goes under, reserved now if no frame came.
    func stem() throws -> String {
        try state.withLock { state in
            if let failure = state.failure { throw FileSystemError.other(path: folder.url.path, reason: failure) }
            return try reserved(&state)
        }
    }

    /// Gives the stem back once the result's files are published.
    public func release() {
        state.withLock { state in
            if let stem = state.stem { folder.release(stem) }
            state.stem = nil
        }
    }

    static func fileName(_ stem: String, frame: Int) -> String {
        let digits = String(frame)
        return stem + "_f" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + ".png"
    }

    private func reserved(_ state: inout State) throws -> String {
        if let stem = state.stem { return stem }
        try FileSystemError.accessing(folder.url, for: .creatingFolder) {
            try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
        }
        folder.removeStaleTemporaries()
        let stem = try folder.reserveStem(name)
        state.stem = stem
        return stem
    }
}
