import DecodePipeline
import Foundation
import ImageCodecs
import LatentKit
import Synchronization
import TerminalGraphics
import Wire
import Workbench

/// Decoded images per job (read from the job's output files off the UI thread, or a video's
/// frames as they decode) and their terminal encodings per size, so a redraw costs a dictionary lookup.
final class PreviewStore: Sendable {
    struct Frames: Sendable {
        var images: [RGBImage]
        var error: String?
        /// A video still decoding: its frames so far, until the result on disk replaces them.
        var partial = false
    }

    /// Frames kept of a video while it decodes (a 61-frame 512×320 clip is ~30 MB as RGB8); later
    /// ones show once the result is read from disk, as many as a finished MP4 is read back with.
    static let partialFrameLimit = 256

    struct EncodingKey: Hashable, Sendable {
        var jobID: UUID
        var compareWith: UUID?
        var frame: Int
        var columns: Int
        var rows: Int
    }

    private struct State {
        var frames: [UUID: Frames] = [:]
        var loading: Set<UUID> = []
        var encodings: [EncodingKey: [PlacedPicture]] = [:]
        var encoding: Set<EncodingKey> = []
        var psnr: [EncodingKey: Double] = [:]
    }

    private let state = Mutex(State())

    func frames(_ id: UUID) -> Frames? { state.withLock { $0.frames[id] } }

    /// Takes a picture already in memory (a latent's latent2rgb) as `id`'s one frame.
    func provide(_ id: UUID, image: RGBImage) {
        state.withLock { state in
            if state.frames[id] == nil { state.frames[id] = Frames(images: [image]) }
        }
    }

    /// Takes a video's new frames while it decodes: the preview shows them before the job is done.
    func append(_ id: UUID, _ batch: FrameBatch) {
        state.withLock { state in
            var frames = state.frames[id] ?? Frames(images: [], partial: true)
            guard frames.partial, batch.first <= frames.images.count else { return }
            let new = batch.images.dropFirst(frames.images.count - batch.first)
            frames.images += new.prefix(max(0, Self.partialFrameLimit - frames.images.count))
            state.frames[id] = frames
        }
    }

    /// Starts loading a job's images unless loaded or loading; `done` runs when they are in. A
    /// video's frames so far stay shown until the result replaces them.
    func load(_ id: UUID, outputs: [String], done: @escaping @Sendable () -> Void) {
        let start = state.withLock { state -> Bool in
            guard state.frames[id]?.partial ?? true, !state.loading.contains(id) else { return false }
            state.loading.insert(id)
            return true
        }
        guard start else { return }
        Task.detached { [self] in
            let frames = Self.readFrames(outputs)
            state.withLock { state in
                if state.frames[id]?.partial == true {
                    state.encodings = state.encodings.filter { $0.key.jobID != id && $0.key.compareWith != id }
                }
                state.frames[id] = frames
                state.loading.remove(id)
            }
            done()
        }
    }

    static func readFrames(_ outputs: [String]) -> Frames {
        do {
            return Frames(images: try ResultFrames.read(outputs: outputs).images)
        } catch {
            return Frames(images: [], error: "cannot show the result: \(error)")
        }
    }

    func encoding(_ key: EncodingKey) -> [PlacedPicture]? { state.withLock { $0.encodings[key] } }

    /// Why a picture of `id` could not be drawn, if one could not (the caption says so).
    func drawingFailure(_ id: UUID) -> String? {
        state.withLock { state in state.encodings.first { $0.key.jobID == id }?.value.lazy.compactMap(\.failure).first }
    }
    func psnr(_ key: EncodingKey) -> Double? { state.withLock { $0.psnr[key] } }

    /// The PSNR of `right` against `left` once a side-by-side picture of the two was encoded (any size).
    func psnr(of left: UUID, against right: UUID) -> Double? {
        state.withLock { state in state.psnr.first { $0.key.jobID == left && $0.key.compareWith == right }?.value }
    }

    /// Encodes for the terminal off the UI thread; `done` runs when the pictures are ready.
    func encode(_ key: EncodingKey, backend: any PictureBackend, done: @escaping @Sendable () -> Void) {
        let start = state.withLock { state -> Bool in
            guard state.encodings[key] == nil, !state.encoding.contains(key) else { return false }
            state.encoding.insert(key)
            return true
        }
        guard start, let first = frames(key.jobID), !first.images.isEmpty else {
            state.withLock { _ = $0.encoding.remove(key) }
            return
        }
        let second = key.compareWith.flatMap { frames($0) }
        Task.detached { [self] in
            let image = first.images[key.frame % first.images.count]
            var pictures: [PlacedPicture] = []
            var psnr: Double? = nil
            if let other = second?.images.first {
                let resized = ImageFitting.resize(other, width: image.width, height: image.height)
                psnr = ImageFitting.psnr(image, resized)
                let halfColumns = max(1, (key.columns - 1) / 2)
                pictures = [
                    PlacedPicture(
                        column: 0,
                        picture: Result { () throws(PictureError) in try backend.encode(image, columns: halfColumns, rows: key.rows) }),
                    PlacedPicture(
                        column: halfColumns + 1,
                        picture: Result { () throws(PictureError) in try backend.encode(other, columns: halfColumns, rows: key.rows) }),
                ]
            } else {
                pictures = [
                    PlacedPicture(
                        column: 0,
                        picture: Result { () throws(PictureError) in try backend.encode(image, columns: key.columns, rows: key.rows) })
                ]
            }
            state.withLock { state in
                state.encodings[key] = pictures
                state.psnr[key] = psnr
                state.encoding.remove(key)
                if state.encodings.count > 64 { state.encodings.removeAll() }
            }
            done()
        }
    }

    /// Forgets every encoding (the terminal's protocol changed).
    func forgetEncodings() { state.withLock { $0.encodings.removeAll() } }
}

/// One picture of a preview and its column offset inside the preview box (a comparison has two).
struct PlacedPicture: Sendable {
    var column: Int
    var picture: Result<TerminalPicture, PictureError>

    /// Why the picture cannot be drawn, for the caption.
    var failure: String? {
        guard case .failure(let error) = picture else { return nil }
        return "cannot draw the picture: \(error)"
    }
}
