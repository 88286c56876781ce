import LatentKit
import NIOHTTP1

/// A request the server will not take, as the status and sentence it answers with. Covers what
/// the HTTP parser rejects before any handler sees the request, and what the connection guard cuts.
struct HTTPMistake: Error, Equatable, CustomStringConvertible {
    let status: Int
    let message: String
    var description: String { message }

    static func slowHead(_ timeout: Duration) -> HTTPMistake {
        HTTPMistake(status: 408, message: "the request head did not arrive within \(seconds(timeout)) s; send it at once")
    }

    static func slowBody(minimumBytesPerSecond: Int, window: Duration) -> HTTPMistake {
        HTTPMistake(
            status: 408,
            message:
                "the body arrived slower than this server's minimum of \(ByteCount.text(minimumBytesPerSecond))/s over \(seconds(window)) s; send it at once"
        )
    }

    static func abandoned(status: Int, after window: Duration) -> HTTPMistake {
        HTTPMistake(status: status, message: "the client stopped reading its answer for \(seconds(window)) s; the connection was closed")
    }

    static func tooManyConnections(_ cap: Int) -> HTTPMistake {
        HTTPMistake(status: 429, message: "this address already has \(cap) connections open, this server's limit; reuse one of them")
    }

    /// What the HTTP/1.1 parser found wrong, in words; the header limit is NIO's default, which
    /// Hummingbird keeps (80 KiB for all header fields together).
    init(parserError error: HTTPParserError, headerLimit: Int) {
        switch error {
        case .headerOverflow:
            self.init(status: 431, message: "the request's headers are larger than this server's \(ByteCount.text(headerLimit)) limit")
        case .invalidContentLength, .unexpectedContentLength:
            self.init(status: 400, message: "the Content-Length header is not one whole number of bytes")
        case .invalidChunkSize:
            self.init(status: 400, message: "the chunked body is malformed: a chunk size is not a hexadecimal number")
        case .invalidMethod:
            self.init(status: 501, message: "the request's method is not one this server knows; it answers GET and POST")
        case .invalidVersion:
            self.init(status: 505, message: "the request is not HTTP/1.x; this server speaks HTTP/1.1")
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort:
            self.init(status: 400, message: "the request target is not a valid URL path")
        case .invalidHeaderToken, .invalidCharactersUsed, .lfExpected, .invalidConstant:
            self.init(status: 400, message: "the request head is malformed: a line or header does not follow HTTP/1.1")
        default:
            self.init(status: 400, message: "the request is not valid HTTP/1.1 (\(error))")
        }
    }

    init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    private static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? String(Int(value)) : String(format: "%.2g", value)
    }
}
