import DecodePipeline
import Foundation
import Glibc
import LatenttyServer
import Logging
import NativeVAE
import ServiceLifecycle
import Testing

/// A plain loopback socket that can say what no HTTP client library will: half a head, a body
/// trickled or never finished, malformed framing. Reads time out after `timeout` seconds so no
/// test can hang; call it through `onOwnThread` so a blocked read never holds a cooperative thread.
final class RawConnection: @unchecked Sendable {
    // One test drives each connection from one thread at a time.
    private let fd: Int32
    private var pending: [UInt8] = []

    struct Answer {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
        var error: String? { json?["error"] as? String }
    }

    /// `receiveBuffer` shrinks the socket's receive buffer (before connecting, so the window
    /// scale agrees): a client that stops reading then stalls the server after a few kilobytes.
    init(port: Int, timeout: Int = 10, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// One answer (head and a Content-Length body), or nil if the connection closed or timed out first.
    func answer() -> Answer? {
        while true {
            if let end = headEnd() {
                let head = String(decoding: pending[..<end], as: UTF8.self).components(separatedBy: "\r\n")
                guard let statusLine = head.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
                    return nil
                }
                var headers: [String: String] = [:]
                for line in head.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                while pending.count < end + 4 + length { guard receive() else { return nil } }
                let body = Array(pending[(end + 4)..<(end + 4 + length)])
                pending.removeFirst(end + 4 + length)
                return Answer(status: status, headers: headers, body: body)
            }
            guard receive() else { return nil }
        }
    }

    /// True once the server has closed the connection (false if it is still open at the timeout).
    func closedByServer() -> Bool {
        while true {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    private func receive() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return false }
        pending += buffer[..<count]
        return true
    }

    private func headEnd() -> Int? {
        guard pending.count >= 4 else { return nil }
        for index in 0...(pending.count - 4)
        where pending[index] == 13 && pending[index + 1] == 10 && pending[index + 2] == 13 && pending[index + 3] == 10 {
            return index
        }
        return nil
    }
}

extension RawConnection {
    /// Sends `request` on a fresh connection and reads the one answer, off the cooperative pool.
    static func exchange(port: Int, _ request: [UInt8]) async throws -> Answer? {
        let connection = try RawConnection(port: port)
        return await onOwnThread {
            connection.send(request)
            return connection.answer()
        }
    }
}

/// The port of a `withLatenttyServer` URL.
func port(of url: String) -> Int {
    Int(url.split(separator: ":").last?.trimmingCharacters(in: CharacterSet(charactersIn: "/")) ?? "") ?? 0
}

/// Like `withLatenttyServer`, but hands `body` the server's log lines as they are written, so a
/// test can wait for the line that says what happened instead of polling.
func withObservedServer<T: Sendable>(
    engine: any DecodeEngine = Latent2RGBEngine(), configuration: ServerConfiguration,
    _ body: (String, AsyncStream<String>) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.port = 0
    let (lines, lineSink) = AsyncStream<String>.makeStream()
    let (ports, portSink) = AsyncStream<Int>.makeStream()
    let app = DecodeServer.application(
        service: DecodeService(engine: engine), configuration: configuration, log: { lineSink.yield($0) },
        onListening: { portSink.yield($0) })
    let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
    let server = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw CancellationError() }
    let result: Result<T, any Error>
    do {
        result = .success(try await body("http://127.0.0.1:\(port)/", lines))
    } catch {
        result = .failure(error)
    }
    await group.triggerGracefulShutdown()
    _ = try? await server.value
    return try result.get()
}
