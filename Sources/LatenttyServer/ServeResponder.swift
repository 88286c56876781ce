import DecodePipeline
import Foundation
import HTTPTypes
import Hummingbird
import LatentKit
import NIOCore
import NIOHTTP1
import Wire

/// The request context: Hummingbird's, plus the client's address for the access log.
struct ServeContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remote: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remote = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// Routes every request — probes, metrics, decodes and mistakes — to an answer, so each one gets
/// the same JSON error shape and one access-log line; nothing is left to a framework default.
struct ServeResponder: HTTPResponder {
    let service: DecodeService
    let encoder: EncodeService
    let configuration: ServerConfiguration
    let limiter: WorkLimiter
    let bodies: BodyBudget
    let metrics: ServerMetrics
    let log: @Sendable (String) -> Void

    func respond(to request: Request, context: ServeContext) async throws -> Response {
        let start = ContinuousClock.now
        let (answer, received) = await route(request)
        let seconds = DecodeServer.seconds(ContinuousClock.now - start)
        metrics.answered(status: answer.status, bytesIn: received, bytesOut: answer.body.count)
        let record = AccessRecord(
            time: AccessRecord.now(), remote: context.remote, method: request.method.rawValue, path: request.uri.description,
            status: answer.status, bytesIn: received, bytesOut: answer.body.count,
            seconds: (seconds * 1e6).rounded() / 1e6)
        log(record.line(configuration.logFormat))
        return DecodeServer.response(answer)
    }

    /// The answer and the body bytes received for it.
    func route(_ request: Request) async -> (WireResponse, Int) {
        let path = request.uri.path
        switch request.method {
        case .post:
            return await work(request, encoding: Self.isEncode(path))
        case .get:
            switch path {
            case "/", "/health": return (Self.text("Ok"), 0)
            case "/ready": return (await readiness(), 0)
            case "/metrics": return (await exposition(), 0)
            default:
                return (
                    ErrorBody.response(
                        status: 404,
                        message:
                            "there is nothing at GET \(path.prefix(100)): this server answers GET /, /health, /ready and /metrics, encodes POSTs to /encode and decodes other POSTs"
                    ),
                    0
                )
            }
        default:
            var refused = ErrorBody.response(
                status: 405,
                message: "this server does not answer \(request.method.rawValue) requests: use GET for probes and POST to decode or encode")
            refused.headers.append(Header("Allow", "GET, POST"))
            return (refused, 0)
        }
    }

    /// Ready while the queue has room (the engine is loaded before the server listens).
    func readiness() async -> WireResponse {
        let (depth, full) = (await limiter.depth, await limiter.isFull)
        guard !full else {
            return ErrorBody.response(
                status: 503, message: "the decode queue is full (\(depth) of \(limiter.capacity)); send work elsewhere")
        }
        let body: [String: Any] = ["status": "ready", "engine": metrics.engine, "queue": depth, "capacity": limiter.capacity]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return WireResponse(status: 200, headers: [Header("Content-Type", "application/json")], body: Array(data))
    }

    func exposition() async -> WireResponse {
        let text = metrics.text(
            queueDepth: await limiter.depth, queueCapacity: limiter.capacity, decoding: await limiter.decoding,
            bodyBytesHeld: bodies.bytesHeld)
        return WireResponse(
            status: 200, headers: [Header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: Array(text.utf8))
    }

    /// diffusers' client posts to the endpoint URL as given, so `…/encode` with or without a slash.
    static func isEncode(_ path: String) -> Bool {
        path == "/encode" || path == "/encode/"
    }

    /// A decode, or an encode when `encoding`: both wait in the same queue for the same workers.
    func work(_ request: Request, encoding: Bool) async -> (WireResponse, Int) {
        var request = request
        var held = 0
        defer { bodies.giveBack(held) }
        let body: ByteBuffer
        switch await receiveBody(&request, held: &held) {
        case .complete(let buffer): body = buffer
        case .refused(let answer, let received): return (answer, received)
        }
        // Only now, with the whole body here, does the request count against the queue.
        guard await limiter.admit() else { return (busy("the decode queue is full"), body.readableBytes) }
        await limiter.startWork()
        let query = request.uri.query ?? ""
        let accept = request.headers[.accept]
        let bytes = Array(buffer: body)
        let (service, encoder) = (self.service, self.encoder)
        let start = ContinuousClock.now
        // Decoding and encoding are blocking CPU work: keep them off the event loop and the cooperative pool.
        let answer = await onOwnThread {
            encoding ? encoder.handle(query: query, body: bytes) : service.handle(query: query, accept: accept, body: bytes)
        }
        if answer.status == 200, encoding {
            metrics.encoded(seconds: DecodeServer.seconds(ContinuousClock.now - start))
        } else if answer.status == 200 {
            metrics.decoded(seconds: DecodeServer.seconds(ContinuousClock.now - start))
        } else if answer.status == 422 {
            metrics.refusedForWork()
        }
        await limiter.finishWork()
        await limiter.leave()
        return (answer, bytes.count)
    }

    enum BodyOutcome {
        case complete(ByteBuffer)
        case refused(WireResponse, received: Int)
    }

    /// Reads the body while it stays within the per-request limit and the server's budget for
    /// bodies in flight (`held` is what it took from that budget; the caller gives it back).
    func receiveBody(_ request: inout Request, held: inout Int) async -> BodyOutcome {
        let limit = configuration.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init) {
            guard declared <= limit else { return .refused(unread(tooLarge()), received: 0) }
            guard bodies.take(declared) else {
                return .refused(unread(busy("too many request bodies are arriving at once")), received: 0)
            }
            held = declared
        }
        var buffer = ByteBuffer()
        do {
            for try await chunk in request.body {
                let total = buffer.readableBytes + chunk.readableBytes
                guard total <= limit else { return .refused(unread(tooLarge()), received: total) }
                if total > held {
                    guard bodies.take(total - held) else {
                        return .refused(unread(busy("too many request bodies are arriving at once")), received: total)
                    }
                    held = total
                }
                buffer.writeImmutableBuffer(chunk)
            }
        } catch let mistake as HTTPMistake {
            return .refused(ErrorBody.response(status: mistake.status, message: mistake.message), received: buffer.readableBytes)
        } catch let parserError as HTTPParserError {
            let mistake = HTTPMistake(parserError: parserError, headerLimit: DecodeServer.headerLimit)
            return .refused(ErrorBody.response(status: mistake.status, message: mistake.message), received: buffer.readableBytes)
        } catch {
            return .refused(
                ErrorBody.response(status: 400, message: "the body ended before it was complete"), received: buffer.readableBytes)
        }
        return .complete(buffer)
    }

    /// An answer given before the body was read: the connection closes after it, so the client
    /// need not send the rest and the server need not read it.
    func unread(_ answer: WireResponse) -> WireResponse {
        var answer = answer
        answer.headers.append(Header("Connection", "close"))
        return answer
    }

    func tooLarge() -> WireResponse {
        ErrorBody.response(
            status: 413,
            message: "the body is larger than this server's \(ByteCount.text(configuration.maxBodyBytes)) limit (--max-body-mb)")
    }

    func busy(_ reason: String) -> WireResponse {
        var busy = ErrorBody.response(status: 503, message: "\(reason); retry in \(configuration.retryAfterSeconds) s")
        busy.headers.append(Header("Retry-After", String(configuration.retryAfterSeconds)))
        return busy
    }

    static func text(_ text: String) -> WireResponse {
        WireResponse(status: 200, headers: [Header("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }
}
