import LatentKit

/// A server setting outside the range the server can work with.
public enum ServerConfigurationError: Error, Equatable, CustomStringConvertible {
    case portOutOfRange(Int)
    case noWorkers(Int)
    case queueShorterThanWorkers(queue: Int, workers: Int)
    case bodyLimitNotPositive(bytes: Int)
    case bodiesInFlightBelowBodyLimit(inFlight: Int, body: Int)
    case workLimitTooSmall(bytes: Int)
    case timeoutNotPositive(name: String)
    case negativeBodyRate(Int)
    case noRequestsPerConnection(Int)
    case connectionCapsTooSmall(perAddress: Int, total: Int)

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
        case .bodiesInFlightBelowBodyLimit(let inFlight, let body):
            "bodies in flight limited to \(ByteCount.text(inFlight)) can never hold one body of the \(ByteCount.text(body)) allowed: make --max-bodies-mb at least --max-body-mb"
        case .workLimitTooSmall(let bytes):
            "a work limit of \(ByteCount.text(bytes)) refuses every decode: allow 1 MiB or more"
        case .timeoutNotPositive(let name):
            "--\(name) must be more than 0 seconds"
        case .negativeBodyRate(let rate):
            "a minimum body rate of \(rate) KiB/s is negative: use 0 (no minimum) or more"
        case .noRequestsPerConnection(let count):
            "\(count) requests per connection answers nothing: use 1 or more"
        case .connectionCapsTooSmall(let perAddress, let total):
            "connection caps of \(perAddress) per address and \(total) in all refuse everyone: use 1 or more, and no more per address than in all"
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
        guard maxBodyBytesInFlight >= maxBodyBytes else {
            throw .bodiesInFlightBelowBodyLimit(inFlight: maxBodyBytesInFlight, body: maxBodyBytes)
        }
        guard maxWorkBytes >= 1 << 20 else { throw .workLimitTooSmall(bytes: maxWorkBytes) }
        for (name, timeout) in [("header-timeout", headerTimeout), ("body-timeout", bodyTimeout), ("idle-timeout", idleTimeout)] {
            guard timeout > .zero else { throw .timeoutNotPositive(name: name) }
        }
        guard minBodyBytesPerSecond >= 0 else { throw .negativeBodyRate(minBodyBytesPerSecond >> 10) }
        guard maxRequestsPerConnection >= 1 else { throw .noRequestsPerConnection(maxRequestsPerConnection) }
        guard maxConnectionsPerAddress >= 1, maxConnections >= maxConnectionsPerAddress else {
            throw .connectionCapsTooSmall(perAddress: maxConnectionsPerAddress, total: maxConnections)
        }
        return self
    }
}
