/// Bounds the server's work: at most `workers` decodes run at once and at most `capacity` requests
/// wait or run; beyond that a request is turned away at once (503 + Retry-After) instead of piling up.
/// Only complete requests are admitted, so clients still sending cannot fill the queue.
actor WorkLimiter {
    let workers: Int
    let capacity: Int
    private var admitted = 0
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(workers: Int, capacity: Int) {
        self.workers = max(1, workers)
        self.capacity = max(self.workers, capacity)
    }

    /// Requests admitted and not yet answered, and decodes running now (for `/ready` and `/metrics`).
    var depth: Int { admitted }
    var decoding: Int { running }
    var isFull: Bool { admitted >= capacity }

    /// False when the queue is full.
    func admit() -> Bool {
        guard admitted < capacity else { return false }
        admitted += 1
        return true
    }

    /// Waits for a worker slot (only for admitted requests).
    func startWork() async {
        if running < workers {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func finishWork() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }

    func leave() { admitted -= 1 }
}
