import Foundation
import Synchronization

/// Recycles activation buffers within a decode. A decode allocates the same few sizes over and
/// over (every residual block at a resolution), and a fresh buffer costs a page fault and a
/// zeroed page per 4 KiB on first touch. Freed buffers wait here for the next request of their
/// size, but only while the buffers in use plus those waiting stay within the most the decode has
/// had in use at once: past that, waiting buffers go back to the system (largest first), so the
/// pool never raises the decode's peak. `drain()` after each decode gives everything back.
final class ActivationPool: Sendable {
    static let shared = ActivationPool()

    private struct State {
        /// Addresses of waiting buffers by size (addresses, so the state is plainly Sendable).
        var waiting: [Int: [UInt]] = [:]
        var waitingBytes = 0
        var liveBytes = 0
        var peakLiveBytes = 0

        mutating func evict(bytes: Int) -> [UInt] {
            var freed: [UInt] = []
            while waitingBytes > bytes, let size = waiting.keys.max(), let address = waiting[size]?.popLast() {
                if waiting[size]?.isEmpty == true { waiting[size] = nil }
                waitingBytes -= size
                freed.append(address)
            }
            return freed
        }
    }

    private let state = Mutex(State())

    func take(byteCount: Int) -> UnsafeMutableRawPointer {
        let (reused, evicted): (UInt?, [UInt]) = state.withLock { state in
            state.liveBytes += byteCount
            if let address = state.waiting[byteCount]?.popLast() {
                if state.waiting[byteCount]?.isEmpty == true { state.waiting[byteCount] = nil }
                state.waitingBytes -= byteCount
                return (address, [])
            }
            state.peakLiveBytes = max(state.peakLiveBytes, state.liveBytes)
            return (nil, state.evict(bytes: state.peakLiveBytes - state.liveBytes))
        }
        Self.free(evicted)
        return reused.flatMap { UnsafeMutableRawPointer(bitPattern: $0) } ?? Self.allocate(byteCount)
    }

    private static let hugePage = 2 << 20

    /// Buffers of 2 MB and more are aligned to 2 MB and offered to transparent huge pages (where the
    /// system has them in `madvise` mode, as Debian does): a 64 MB activation then costs 32 page
    /// faults instead of 16 384, and the Winograd transforms, which read six rows far apart, miss
    /// the TLB far less.
    private static func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        guard byteCount >= hugePage else { return .allocate(byteCount: byteCount, alignment: 64) }
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: hugePage)
        madvise(pointer, byteCount / hugePage * hugePage, MADV_HUGEPAGE)
        return pointer
    }

    func give(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let address = UInt(bitPattern: pointer)
        state.withLock { state in
            state.liveBytes -= byteCount
            state.waiting[byteCount, default: []].append(address)
            state.waitingBytes += byteCount
        }
    }

    /// Bytes waiting for reuse.
    var waitingBytes: Int { state.withLock { $0.waitingBytes } }

    func drain() {
        let evicted = state.withLock { state in
            state.peakLiveBytes = state.liveBytes
            return state.evict(bytes: 0)
        }
        Self.free(evicted)
    }

    private static func free(_ addresses: [UInt]) {
        for address in addresses { UnsafeMutableRawPointer(bitPattern: address)?.deallocate() }
    }
}
