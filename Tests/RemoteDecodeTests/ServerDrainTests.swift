import DecodePipeline
import Foundation
import Synchronization
import Testing

/// `latentty serve` as a process: SIGTERM stops it accepting, lets the request under way finish,
/// and it exits 0 — what a Kubernetes rollout or scale-down relies on.
@Suite struct ServerDrainTests {
    static let binary: URL = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("latentty")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/latentty")
    }()

    /// Everything the process writes to stderr, read on its own thread so the pipe never fills.
    final class StandardError: Sendable {
        private let text = Mutex("")
        private let lines = AsyncStream<String>.makeStream()
        var all: String { text.withLock { $0 } }
        var updates: AsyncStream<String> { lines.stream }

        init(_ pipe: Pipe) {
            Thread.detachNewThread { [self] in
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    lines.continuation.yield(
                        text.withLock {
                            $0 += String(decoding: chunk, as: UTF8.self)
                            return $0
                        })
                }
                lines.continuation.finish()
            }
        }
    }

    @Test func sigtermFinishesTheRequestUnderWayAndExitsZero() async throws {
        let process = Process()
        process.executableURL = Self.binary
        // The upload below stalls half-way on purpose until the server is draining; a long body
        // timeout keeps a test slowed by the rest of the suite from being cut by the slow-body guard
        // (tested on its own elsewhere) instead of testing the drain.
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--engine", "approx", "--body-timeout", "60"]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = StandardError(pipe)
        defer { if process.isRunning { process.interrupt() } }

        var port = 0
        for await seen in stderr.updates {
            if let range = seen.range(of: #"127\.0\.0\.1:\d+/ \(engine"#, options: .regularExpression) {
                port = Int(seen[range].dropFirst("127.0.0.1:".count).prefix { $0.isNumber }) ?? 0
                break
            }
        }
        try #require(port > 0)

        let query = "output_type=pt&shape=1&shape=4&shape=2&shape=2&dtype=float32"
        let upload = try RawConnection(port: port)
        upload.send("POST /?\(query) HTTP/1.1\r\nHost: x\r\nContent-Length: 64\r\n\r\n" + String(repeating: "\0", count: 10))
        // The request is under way once its body is counted.
        while !(try await metrics(port: port).contains("latentty_body_bytes_in_flight 64\n")) { await Task.yield() }

        process.terminate()
        // Draining: the listener closes, so new connections are refused.
        while (try? RawConnection(port: port)) != nil { await Task.yield() }

        let answer = await onOwnThread {
            upload.send([UInt8](repeating: 0, count: 54))
            return upload.answer()
        }
        #expect(answer?.status == 200 && answer?.body.count == 3 * 16 * 16 * 4)
        await onOwnThread { process.waitUntilExit() }
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        for await _ in stderr.updates {}
        #expect(stderr.all.contains("latentty serve: stopped after finishing the requests under way"))
        #expect(stderr.all.contains(#""method":"POST""#) && stderr.all.contains(#""status":200"#))
    }

    /// A server whose engine cannot encode says so when it starts, and `/encode` answers 501 with
    /// the reason rather than a bare "no encoder".
    @Test func aServerWithoutAnEncoderSaysWhyAtStartAndOnEncode() async throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--engine", "approx", "--preset", "sd15"]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = StandardError(pipe)
        defer { if process.isRunning { process.interrupt() } }

        let reason = "the approx engine (latent2rgb) only decodes"
        var port = 0
        for await seen in stderr.updates where seen.contains("POST /encode answers 501: \(reason)") {
            if let range = seen.range(of: #"127\.0\.0\.1:\d+/ \(engine"#, options: .regularExpression) {
                port = Int(seen[range].dropFirst("127.0.0.1:".count).prefix { $0.isNumber }) ?? 0
            }
            break
        }
        try #require(port > 0)
        let body = Array("POST /encode HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 4\r\n\r\nnope".utf8)
        let answer = try await RawConnection.exchange(port: port, body)
        #expect(answer?.status == 501)
        #expect(answer?.error?.contains(reason) == true, "\(answer?.error ?? "no answer")")
    }

    func metrics(port: Int) async throws -> String {
        let answer = try await RawConnection.exchange(
            port: port, Array("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
        return String(decoding: answer?.body ?? [], as: UTF8.self)
    }
}
