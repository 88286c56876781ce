import Foundation
import Synchronization
import Testing

@testable import NativeVAE

/// `parallelFor` on OpenMP's team: every chunk once, no more threads than allowed, and a loop
/// inside a loop runs serially rather than deadlocking or multiplying threads.
@Suite struct RuntimeTests {
    @Test func loopsRunOnOpenMPWhereOneDNNDoes() {
        #expect(OpenMP.shared != nil)
    }

    @Test(arguments: [0, 1, 7, 1000])
    func everyChunkRunsOnce(count: Int) {
        let runs = Mutex([Int](repeating: 0, count: count))
        let threads = Mutex(Set<UInt>())
        parallelFor(count) { chunk in
            runs.withLock { $0[chunk] += 1 }
            threads.withLock { _ = $0.insert(UInt(pthread_self())) }
        }
        #expect(runs.withLock { $0 } == [Int](repeating: 1, count: count))
        #expect(threads.withLock { $0.count } <= max(1, NativeRuntime.threads))
    }

    @Test func nestedLoopsRunSeriallyOnTheirThread() {
        let runs = Mutex([Int](repeating: 0, count: 64 * 16))
        let sameThread = Mutex(true)
        parallelFor(64) { outer in
            let thread = pthread_self()
            parallelFor(16) { inner in
                runs.withLock { $0[outer * 16 + inner] += 1 }
                if pthread_self() != thread { sameThread.withLock { $0 = false } }
            }
        }
        #expect(runs.withLock { $0 }.allSatisfy { $0 == 1 })
        #expect(sameThread.withLock { $0 })
    }
}
