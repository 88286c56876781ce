import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Wire

/// `latentty serve`: the decode side of the protocol over HTTP (and the encode side at `/encode`), with probes (`/health`, `/ready`)
/// and Prometheus `/metrics`, behind limits a slow or hostile client cannot get around.
public enum DecodeServer {
    /// NIO's limit on all header fields of one request, kept as is (431 beyond it).
    static let headerLimit = 80 << 10

    /// Builds the application; `onListening` receives the bound port (useful with port 0).
    /// SIGTERM or SIGINT (through `runService`) stops accepting, finishes the requests under way and returns.
    public static func application(
        service: DecodeService, encoder: EncodeService = EncodeService(engine: nil, preset: nil), configuration: ServerConfiguration,
        log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        var service = service
        service.maxWorkBytes = configuration.maxWorkBytes
        var encoder = encoder
        encoder.maxWorkBytes = configuration.maxWorkBytes
        let metrics = ServerMetrics(engine: service.decoder.engine.name, preset: service.preset?.id ?? "per request")
        let responder = ServeResponder(
            service: service, encoder: encoder, configuration: configuration,
            limiter: WorkLimiter(workers: configuration.workers, capacity: configuration.queueCapacity),
            bodies: BodyBudget(limit: configuration.maxBodyBytesInFlight), metrics: metrics, log: log)
        let window = configuration.bodyTimeout
        let limits = ConnectionGuard.Limits(
            headerTimeout: configuration.headerTimeout, bodyWindow: window,
            minBodyBytesPerWindow: Int(Double(configuration.minBodyBytesPerSecond) * seconds(window)),
            idleTimeout: configuration.idleTimeout, maxRequests: configuration.maxRequestsPerConnection, headerLimit: headerLimit)
        let addresses = AddressConnections(cap: configuration.maxConnectionsPerAddress)
        let format = configuration.logFormat
        let server = HTTPServerBuilder { responder in
            GuardedHTTP1Channel(
                responder: responder, limits: limits, addresses: addresses,
                report: { report, address in
                    metrics.cut(report.cut)
                    // Answers the guard wrote itself, and answers it gave up on; the responder logs the rest.
                    if let answer = report.answer {
                        metrics.answered(status: answer.status, bytesIn: 0, bytesOut: 0)
                    }
                    for note in [report.answer, report.abandoned].compactMap({ $0 }) {
                        let record = AccessRecord(
                            time: AccessRecord.now(), remote: address, method: "-", path: "-", status: note.status, bytesIn: 0,
                            bytesOut: 0, seconds: 0, error: note.message)
                        log(record.line(format))
                    }
                })
        }
        var logger = Logger(label: "latentty.serve")
        logger.logLevel = .warning
        return Application(
            responder: responder, server: server,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "latentty",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections, logger: logger)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    static func response(_ wire: WireResponse) -> Response {
        var fields = HTTPFields()
        for header in wire.headers {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: wire.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: wire.body)))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
