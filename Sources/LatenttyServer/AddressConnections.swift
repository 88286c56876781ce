import Synchronization

/// Open connections per client address, so one address cannot hold every connection the server
/// will take (the server-wide cap alone would let it lock everyone else out).
final class AddressConnections: Sendable {
    let cap: Int
    private let open = Mutex<[String: Int]>([:])

    init(cap: Int) {
        self.cap = cap
    }

    /// Counts a new connection from `address`; false when that puts the address over its cap.
    /// Every `opened` is matched by one `closed`, refused or not.
    func opened(_ address: String) -> Bool {
        open.withLock { counts in
            counts[address, default: 0] += 1
            return counts[address, default: 0] <= cap
        }
    }

    func closed(_ address: String) {
        open.withLock { counts in
            let left = counts[address, default: 1] - 1
            counts[address] = left > 0 ? left : nil
        }
    }
}
