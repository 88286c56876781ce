import LatentKit

/// Why a request never produced a complete HTTP response.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    /// Nothing listens at the address: a retry would be refused too.
    case connectionRefused(url: String)
    case couldNotConnect(String)
    case timedOut(seconds: Double)
    case connectionLost(String)
    case incompleteBody(String)
    case responseTooLarge(limit: Int)
    case headersTooLarge(limit: Int)
    case cancelled
    case other(code: Int, message: String)

    /// curl's words can quote what the server sent, so control characters are escaped wherever the
    /// error is printed.
    public var description: String { words.terminalSafe }

    private var words: String {
        switch self {
        case .connectionRefused(let url): "connection refused at \(url)"
        case .couldNotConnect(let detail): "could not connect: \(detail)"
        case .timedOut(let seconds): "no complete answer within \(Self.format(seconds)) s (raise --timeout for cold starts)"
        case .connectionLost(let detail): "the connection was lost: \(detail)"
        case .incompleteBody(let detail): "the answer was cut short: \(detail)"
        case .responseTooLarge(let limit): "the answer passed \(Self.bytes(limit)), the most this request may receive"
        case .headersTooLarge(let limit): "the answer's headers passed \(Self.bytes(limit))"
        case .cancelled: "cancelled"
        case .other(let code, let message): "transfer failed (curl \(code)): \(message)"
        }
    }

    /// Failures a second try may cure.
    public var isTransient: Bool {
        switch self {
        case .couldNotConnect, .timedOut, .connectionLost, .incompleteBody: true
        case .connectionRefused, .responseTooLarge, .headersTooLarge, .cancelled, .other: false
        }
    }

    /// The endpoint could not be reached at all, as opposed to answering badly or slowly.
    var isConnectionFailure: Bool {
        switch self {
        case .connectionRefused, .couldNotConnect, .connectionLost: true
        default: false
        }
    }

    static func bytes(_ count: Int) -> String {
        switch count {
        case ..<(1 << 10): "\(count) bytes"
        case ..<(1 << 20): "\(count >> 10) KiB"
        default: String(format: "%.1f MiB", Double(count) / Double(1 << 20))
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
