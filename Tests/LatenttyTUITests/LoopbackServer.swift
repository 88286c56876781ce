import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

@testable import LatentKit
@testable import LatenttyServer
@testable import NativeVAE

/// The access log of a loopback server, kept for the test to read.
final class AccessLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var posts: [String] { lines.withLock { $0.filter { $0.hasPrefix("POST") } } }
}

/// latentty's own server on a free loopback port, its access log kept: latent2rgb decodes, and
/// `encoder`, when given, encodes for SD v1.5.
func withLoopbackServer(log: AccessLog, encoder: (any EncodeEngine)? = nil, _ body: (String) async throws -> Void) async throws {
    let (ports, sink) = AsyncStream<Int>.makeStream()
    let app = DecodeServer.application(
        service: DecodeService(engine: Latent2RGBEngine()), encoder: EncodeService(engine: encoder, preset: encoder.map { _ in .sd15 }),
        configuration: ServerConfiguration(port: 0), log: { log.append($0) }, onListening: { sink.yield($0) })
    let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
    let server = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw CancellationError() }
    defer { server.cancel() }
    do {
        try await body("http://127.0.0.1:\(port)/")
    } catch {
        await group.triggerGracefulShutdown()
        throw error
    }
    await group.triggerGracefulShutdown()
    _ = try? await server.value
}
