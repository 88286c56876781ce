import Synchronization

/// The bytes of request bodies the server holds at once (being received, queued or decoding).
/// Each body takes its share as it arrives and gives it back when its request is answered, so
/// many large uploads at once get 503 instead of exhausting memory.
final class BodyBudget: Sendable {
    let limit: Int
    private let held = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    var bytesHeld: Int { held.withLock { $0 } }

    /// Takes `bytes` if they fit under the limit.
    func take(_ bytes: Int) -> Bool {
        held.withLock { held in
            guard bytes <= limit - held else { return false }
            held += bytes
            return true
        }
    }

    func giveBack(_ bytes: Int) {
        held.withLock { $0 -= bytes }
    }
}
