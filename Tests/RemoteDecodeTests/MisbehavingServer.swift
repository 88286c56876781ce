import Foundation
import Glibc
import Synchronization

/// A loopback HTTP server that misbehaves on purpose, one scripted behaviour per connection
/// (the last one repeats). Plain sockets, so it can do what no well-behaved framework would:
/// reset a connection mid-body, promise bytes it never sends, or never answer at all.
final class MisbehavingServer: Sendable {
    enum Behaviour: Sendable {
        case respond(status: Int, headers: [(String, String)], body: [UInt8])
        /// Sends the head (claiming `declared` bytes) and `sent`, then resets the connection.
        case resetMidBody(declared: Int, sent: [UInt8])
        /// Sends the head (claiming `declared` bytes) and `sent`, then closes cleanly.
        case shortBody(declared: Int, sent: [UInt8])
        /// Reads the request and never answers; waits for the client to give up.
        case hang
        /// Answers every request on the connection the same way and keeps it open for more.
        case keepAlive(status: Int, headers: [(String, String)], body: [UInt8])
        /// A chunked 200 that goes on until the client hangs up (or `limit` bytes, to stay bounded).
        case endlessChunked(limit: Int)
        /// Reads the request, then dies: resets the connection and stops listening, as a killed server would.
        case die
    }

    struct Recorded: Sendable {
        let target: String
        let headers: [String: String]
        let bodyLength: Int
        let body: [UInt8]
    }

    let port: Int
    private let listener: Int32
    private let script: Mutex<[Behaviour]>
    private let log = Mutex<[Recorded]>([])
    private let accepted = Mutex(0)
    private let sentBytes = Mutex(0)
    private let answered = Mutex(0)

    init(_ behaviours: [Behaviour]) throws {
        precondition(!behaviours.isEmpty)
        script = Mutex(behaviours)
        (listener, port) = try Self.listen()
        let listener = self.listener
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                accepted.withLock { $0 += 1 }
                let behaviour = nextBehaviour()
                Thread.detachNewThread { [self] in serve(connection, behaviour) }
            }
        }
    }

    var url: String { "http://127.0.0.1:\(port)/" }
    var requests: [Recorded] { log.withLock { $0 } }
    /// Connections accepted so far.
    var connections: Int { accepted.withLock { $0 } }
    /// Requests answered in full by `respond`.
    var answers: Int { answered.withLock { $0 } }
    /// Body bytes the client took of `endlessChunked` answers before it hung up.
    var bodyBytesSent: Int { sentBytes.withLock { $0 } }

    private let stopped = Mutex(false)

    /// Idempotent: closing the listener twice could close a descriptor reused by someone else.
    func stop() {
        guard
            stopped.withLock({ stopped in
                defer { stopped = true }
                return !stopped
            })
        else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private func nextBehaviour() -> Behaviour {
        script.withLock { script in script.count > 1 ? script.removeFirst() : script[0] }
    }

    private static func listen() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A port nothing listens on: connecting to it is refused at once.
    static func deadPort() -> Int {
        guard let (fd, port) = try? listen() else { return 9 }
        close(fd)
        return port
    }

    private func serve(_ connection: Int32, _ behaviour: Behaviour) {
        defer { close(connection) }
        guard let request = readRequest(connection) else { return }
        log.withLock { $0.append(request) }
        switch behaviour {
        case .respond(let status, let headers, let body):
            var head = "HTTP/1.1 \(status) Status\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            if send(connection, Array((head + "\r\n").utf8) + body) { answered.withLock { $0 += 1 } }
        case .resetMidBody(let declared, let sent):
            send(connection, Array("HTTP/1.1 200 OK\r\nContent-Length: \(declared)\r\nContent-Type: image/png\r\n\r\n".utf8) + sent)
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        case .shortBody(let declared, let sent):
            send(connection, Array("HTTP/1.1 200 OK\r\nContent-Length: \(declared)\r\nContent-Type: image/png\r\n\r\n".utf8) + sent)
            shutdown(connection, Int32(SHUT_WR))
        case .hang:
            var buffer = [UInt8](repeating: 0, count: 4096)
            while recv(connection, &buffer, buffer.count, 0) > 0 {}
        case .endlessChunked(let limit):
            guard send(connection, Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: image/png\r\n\r\n".utf8)) else {
                return
            }
            let chunk = Array("10000\r\n".utf8) + [UInt8](repeating: 0x41, count: 0x10000) + Array("\r\n".utf8)
            var sent = 0
            while sent < limit, send(connection, chunk) {
                sent += 0x10000
                sentBytes.withLock { $0 += 0x10000 }
            }
            _ = send(connection, Array("0\r\n\r\n".utf8))
        case .die:
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(connection, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            stop()
        case .keepAlive(let status, let headers, let body):
            var head = "HTTP/1.1 \(status) Status\r\nContent-Length: \(body.count)\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            send(connection, Array((head + "\r\n").utf8) + body)
            while let next = readRequest(connection) {
                log.withLock { $0.append(next) }
                send(connection, Array((head + "\r\n").utf8) + body)
            }
        }
    }

    /// False once the peer is gone.
    @discardableResult
    private func send(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    private func readRequest(_ connection: Int32) -> Recorded? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int? = nil
        while headEnd == nil {
            let count = recv(connection, &buffer, buffer.count, 0)
            if count <= 0 { return nil }
            data += buffer[0..<count]
            headEnd = data.firstRange(of: separator)?.upperBound
        }
        let head = String(decoding: data[..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let target = lines.removeFirst().split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        var body = Array(data[headEnd!...])
        while body.count < length {
            let count = recv(connection, &buffer, buffer.count, 0)
            if count <= 0 { break }
            body += buffer[0..<count]
        }
        return Recorded(target: target, headers: headers, bodyLength: body.count, body: body)
    }
}
