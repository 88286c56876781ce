import DecodePipeline
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Wire

public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest request body accepted (413 beyond it).
    public var maxBodyBytes: Int
    public var workers: Int
    /// Requests that may wait or run at once before new ones get 503.
    public var queueCapacity: Int
    public var retryAfterSeconds: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8000, maxBodyBytes: Int = 512 << 20, workers: Int = 2, queueCapacity: Int = 16,
        retryAfterSeconds: Int = 2
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.workers = workers
        self.queueCapacity = queueCapacity
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// `latentty serve`: the decode side of the protocol over HTTP, with `GET /` and `GET /health`.
public enum DecodeServer {
    /// Builds the application; `onListening` receives the bound port (useful with port 0).
    public static func application(
        service: DecodeService, configuration: ServerConfiguration,
        log: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) },
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let limiter = WorkLimiter(workers: configuration.workers, capacity: configuration.queueCapacity)
        let router = Router()
        router.add(middleware: AccessLog(log: log))
        router.get("/") { _, _ in "Ok" }
        router.get("/health") { _, _ in "Ok" }
        let decode: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            try await handleDecode(request, service: service, limiter: limiter, configuration: configuration)
        }
        router.post("/", use: decode)
        router.post("**", use: decode)
        var logger = Logger(label: "latentty.serve")
        logger.logLevel = .warning
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "latentty"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    static func handleDecode(_ request: Request, service: DecodeService, limiter: WorkLimiter, configuration: ServerConfiguration)
        async throws -> Response
    {
        var request = request
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > configuration.maxBodyBytes {
            return response(tooLarge(configuration))
        }
        guard await limiter.admit() else {
            var busy = ErrorBody.response(status: 503, message: "the decode queue is full; retry in \(configuration.retryAfterSeconds) s")
            busy.headers.append(Header("Retry-After", String(configuration.retryAfterSeconds)))
            return response(busy)
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch {
            await limiter.leave()
            return response(tooLarge(configuration))
        }
        await limiter.startWork()
        let query = request.uri.query ?? ""
        let accept = request.headers[.accept]
        let bytes = Array(buffer: body)
        // Decoding is blocking CPU work: keep it off the event loop and the cooperative pool.
        let answer = await onOwnThread { service.handle(query: query, accept: accept, body: bytes) }
        await limiter.finishWork()
        await limiter.leave()
        return response(answer)
    }

    static func tooLarge(_ configuration: ServerConfiguration) -> WireResponse {
        ErrorBody.response(status: 413, message: "the body is larger than this server's \(configuration.maxBodyBytes >> 20) MiB limit")
    }

    static func response(_ wire: WireResponse) -> Response {
        var fields = HTTPFields()
        for header in wire.headers {
            if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: wire.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: wire.body)))
    }
}

/// One line per request: method, target, status, bytes in and out, seconds.
struct AccessLog<Context: RequestContext>: RouterMiddleware {
    let log: @Sendable (String) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let target = request.uri.description
        let received = request.headers[.contentLength] ?? "0"
        do {
            let response = try await next(request, context)
            let sent = response.body.contentLength.map(String.init) ?? "-"
            log("\(request.method) \(target) \(response.status.code) in=\(received)B out=\(sent)B \(elapsed(since: start))")
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log("\(request.method) \(target) \(status) in=\(received)B error=\(error) \(elapsed(since: start))")
            throw error
        }
    }

    private func elapsed(since start: ContinuousClock.Instant) -> String {
        let duration = ContinuousClock.now - start
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return String(format: "%.3fs", seconds)
    }
}
