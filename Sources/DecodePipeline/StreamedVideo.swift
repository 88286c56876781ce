import Foundation
import ImageCodecs
import Synchronization

/// The MP4 answer of a video decode, encoded while the decode runs: the encoder starts with the
/// first frame and gets each one as it is final, so the answer is ready just after the last.
final class StreamedVideo: Sendable {
    private struct State {
        var stream: MP4Stream?
        var failure: MP4Encoder.EncodeError?
    }

    private let state = Mutex(State())

    func take(_ batch: FrameBatch) {
        state.withLock { state in
            guard state.failure == nil, let first = batch.images.first else { return }
            do throws(MP4Encoder.EncodeError) {
                if state.stream == nil { state.stream = try MP4Stream(width: first.width, height: first.height) }
                for image in batch.images { try state.stream?.append(image) }
            } catch {
                state.failure = error
                state.stream?.cancel()
            }
        }
    }

    /// The MP4, or nil when no frame came (the engine gave the clip all at once as images, say).
    func finish() throws(MP4Encoder.EncodeError) -> [UInt8]? {
        let (stream, failure) = state.withLock { ($0.stream, $0.failure) }
        if let failure { throw failure }
        return try stream?.finish()
    }

    func cancel() {
        state.withLock { $0.stream }?.cancel()
    }
}
