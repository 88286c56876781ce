import Foundation

/// Runs blocking work — a native decode holds its thread for seconds, an mp4 encode waits on
/// ffmpeg — on a thread of its own, as CurlTransport does for transfers. Swift concurrency's
/// cooperative pool has one thread per core; work that blocks them stalls every other task
/// (the workbench's effects, other jobs, the server's requests) until it ends.
public func onOwnThread<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    let result: Result<T, E> = await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: Result(catching: work)) }
    }
    return try result.get()
}
