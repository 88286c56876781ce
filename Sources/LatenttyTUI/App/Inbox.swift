import Synchronization

/// Actions posted from background work to the UI thread, which drains them each frame.
final class Inbox: Sendable {
    private let pending = Mutex<[Action]>([])

    func post(_ action: Action) { pending.withLock { $0.append(action) } }

    func drain() -> [Action] {
        pending.withLock { actions in
            defer { actions = [] }
            return actions
        }
    }
}
