import Synchronization

/// A counter any thread can draw from.
final class AtomicCounter: Sendable {
    private let value: Atomic<UInt32>

    init(start: UInt32) { value = Atomic(start) }

    func next() -> UInt32 { value.add(1, ordering: .relaxed).newValue }
}
