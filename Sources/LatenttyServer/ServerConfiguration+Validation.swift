/// A server setting outside the range the server can work with.
public enum ServerConfigurationError: Error, Equatable, CustomStringConvertible {
    case portOutOfRange(Int)
    case noWorkers(Int)
    case queueShorterThanWorkers(queue: Int, workers: Int)
    case bodyLimitNotPositive(bytes: Int)

    public var description: String {
        switch self {
        case .portOutOfRange(let port):
            "port \(port) is out of range: use 0…65535 (0 picks a free port)"
        case .noWorkers(let workers):
            "\(workers) workers cannot decode anything: use 1 or more"
        case .queueShorterThanWorkers(let queue, let workers):
            "a queue of \(queue) cannot keep \(workers) workers busy: make it at least \(workers) (the number of workers)"
        case .bodyLimitNotPositive(let bytes):
            "a request body limit of \(bytes) bytes refuses every request: allow more than 0"
        }
    }
}

extension ServerConfiguration {
    /// This configuration, or the first setting it cannot run with.
    public func validated() throws(ServerConfigurationError) -> ServerConfiguration {
        guard (0...65535).contains(port) else { throw .portOutOfRange(port) }
        guard workers >= 1 else { throw .noWorkers(workers) }
        guard queueCapacity >= workers else { throw .queueShorterThanWorkers(queue: queueCapacity, workers: workers) }
        guard maxBodyBytes > 0 else { throw .bodyLimitNotPositive(bytes: maxBodyBytes) }
        return self
    }
}
