import Foundation
import Hummingbird
import ImageCodecs
import LatenttyServer
import Logging
import NativeVAE
import RemoteDecode
import ServiceLifecycle
import Synchronization
import Wire

@testable import LatentKit

/// Runs latentty's own decode server on a free loopback port for the duration of `body`.
func withLatenttyServer<T: Sendable>(
    engine: any DecodeEngine = Latent2RGBEngine(), preset: Preset? = nil, encoder: (any EncodeEngine)? = nil,
    configuration: ServerConfiguration = ServerConfiguration(port: 0), log: AccessLines = AccessLines(),
    _ body: (String) async throws -> T
) async throws -> T {
    var configuration = configuration
    configuration.port = 0
    let (ports, portSink) = AsyncStream<Int>.makeStream()
    let app = DecodeServer.application(
        service: DecodeService(engine: engine, preset: preset), encoder: EncodeService(engine: encoder, preset: preset),
        configuration: configuration, log: { log.append($0) },
        onListening: { portSink.yield($0) })
    let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
    let server = Task { try await group.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw CancellationError() }
    do {
        let result = try await body("http://127.0.0.1:\(port)/")
        await group.triggerGracefulShutdown()
        _ = try? await server.value
        return result
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await server.value
        throw error
    }
}

/// Collects the server's access-log lines.
final class AccessLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// A sleeper that records the waits it was asked for and returns at once.
final class RecordingSleeper: Sendable {
    private let delays = Mutex<[Double]>([])
    var recorded: [Double] { delays.withLock { $0 } }
    var sleeper: Sleeper { Sleeper { [self] seconds in delays.withLock { $0.append(seconds) } } }
}

/// Collects client events.
final class EventLog: Sendable {
    private let events = Mutex<[RemoteEvent]>([])
    func append(_ event: RemoteEvent) { events.withLock { $0.append(event) } }
    var all: [RemoteEvent] { events.withLock { $0 } }
    var retries: [RemoteEvent] { all.filter { if case .retrying = $0 { true } else { false } } }
    /// The endpoint of each attempt, in order.
    var attempts: [String] { all.compactMap { if case .attempt(let endpoint, _) = $0 { endpoint } else { nil } } }
}

func seededLatent(_ shape: [Int], _ dtype: DType = .float16, seed: UInt64 = 13) throws -> Tensor {
    var generator = TorchGenerator(seed: seed)
    return try generator.randn(shape: shape, dtype: dtype)
}

func pngBytes(width: Int = 8, height: Int = 8) throws -> [UInt8] {
    try PNGCodec.encode(try RGBImage(width: width, height: height, pixels: [UInt8](repeating: 120, count: width * height * 3)))
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The reference data in Tests/Fixtures.
enum Fixtures {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")
    static let protocolFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/protocol")
}

/// Plain requests to a test server through latentty's own transport, and the JSON error they carry.
struct ServerTestClient {
    let transport = CurlTransport()

    func post(_ url: String, query: String, body: [UInt8]) async throws -> WireResponse {
        let request = WireRequest(query: QueryString.decode(query), headers: [Header("Content-Type", "tensor/binary")], body: body)
        return try await transport.perform(request, url: request.url(endpoint: url))
    }

    func get(_ url: String) async throws -> WireResponse {
        try await transport.perform(WireRequest(method: "GET", query: [], headers: [], body: []), url: url)
    }

    func errorMessage(_ response: WireResponse) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String])?["error"]
    }
}
