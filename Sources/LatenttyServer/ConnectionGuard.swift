import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Wire

/// Why the guard closed a connection or refused a request on it (a label in `/metrics`).
enum ConnectionCut: String, Sendable, CaseIterable {
    case idle
    case slowHead = "slow_head"
    case slowBody = "slow_body"
    case slowReader = "slow_reader"
    case perAddressCap = "per_address_cap"
    case malformed
}

/// What the guard tells the server about a connection it cut.
struct GuardReport: Sendable {
    let cut: ConnectionCut
    /// An answer the guard wrote itself: logged and counted as a request.
    var answer: HTTPMistake?
    /// An answer under way that the guard gave up on: logged only (its request was counted).
    var abandoned: HTTPMistake?
}

/// Keeps one HTTP/1.1 connection within the server's time and keep-alive limits, and answers what
/// the HTTP parser rejects with the JSON error every other refusal uses (Hummingbird would answer
/// an empty 400). It sits between the HTTP codec and Hummingbird's request loop and keeps time:
///
/// - idle (no byte of a request yet): closed after `idleTimeout`;
/// - head under way (bytes seen, no head parsed): 408 after `headerTimeout`;
/// - body under way: every `bodyWindow` must bring `minBodyBytesPerWindow` (at least one byte),
///   else the request's body read fails with a 408 mistake that the decode handler answers. Only
///   windows in which the server spent at least half the time asking for more count: while the
///   request handler is not reading (backpressure), a quiet client is not to blame;
/// - answering: no clock, the queue bounds that wait; but an answer the client stops reading for
///   a whole `bodyWindow` (the socket stays unwritable) is abandoned and the connection closed.
///
/// After `maxRequests` answers, or any refusal, the answer carries `Connection: close` and the
/// connection is closed once it is written.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Limits: Sendable {
        var headerTimeout: Duration
        var bodyWindow: Duration
        var minBodyBytesPerWindow: Int
        var idleTimeout: Duration
        var maxRequests: Int
        var headerLimit: Int
        /// How long a refused client may keep sending after its answer before the socket closes:
        /// closing with unread input would reset the connection and could destroy the answer.
        var linger: Duration = .seconds(2)
    }

    private enum Phase {
        case idle
        case readingHead
        case readingBody(bytesThisWindow: Int)
        case answering
        case closing
    }

    private let limits: Limits
    /// Set when the connection is over its address's cap: its first request is refused.
    private let refusal: HTTPMistake?
    private let report: @Sendable (GuardReport) -> Void
    private var phase = Phase.idle
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    /// Runs while the socket is unwritable: the client is not reading its answer.
    private var stall: Scheduled<Void>?
    /// Time this body window spent with a read requested and not yet completed, i.e. waiting for the client.
    private var waitedThisWindow = Duration.zero
    private var waitingSince: ContinuousClock.Instant?
    private var heads = 0
    /// The status of the answer being written, for the log line of one abandoned.
    private var answerStatus = 0
    private var answered = 0
    private var closeAfterAnswer = false
    /// A parse error found while an answer was being written; it is answered next.
    private var pendingMistake: HTTPMistake?

    init(limits: Limits, refusal: HTTPMistake?, report: @escaping @Sendable (GuardReport) -> Void) {
        self.limits = limits
        self.refusal = refusal
        self.report = report
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { becomeIdle(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        stall?.cancel()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        becomeIdle(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        stall?.cancel()
        phase = .closing
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stall?.cancel()
            stall = nil
        } else if stall == nil {
            stall = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.bodyWindow)) { [self] in
                stall = nil
                report(GuardReport(cut: .slowReader, abandoned: .abandoned(status: answerStatus, after: limits.bodyWindow)))
                phase = .closing
                context.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    /// Called by `InboundBytesTap` for every read, before the HTTP decoder sees it.
    func bytesArrived() {
        guard case .idle = phase, let context else { return }
        phase = .readingHead
        arm(context, after: limits.headerTimeout) { guardHandler, context in
            guardHandler.answerAndClose(context, .slowHead(guardHandler.limits.headerTimeout), cut: .slowHead)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .closing = phase { return }
        switch unwrapInboundIn(data) {
        case .head:
            heads += 1
            if let refusal {
                answerAndClose(context, refusal, cut: .perAddressCap)
                return
            }
            phase = .readingBody(bytesThisWindow: 0)
            startBodyWindow(context)
        case .body(let buffer):
            if case .readingBody(let bytes) = phase { phase = .readingBody(bytesThisWindow: bytes + buffer.readableBytes) }
        case .end:
            if case .readingBody = phase {
                phase = .answering
                cancelTimer()
            }
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        if waitingSince == nil { waitingSince = .now }
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if let since = waitingSince { waitedThisWindow += .now - since }
        waitingSince = nil
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let mistake = HTTPMistake(parserError: parserError, headerLimit: limits.headerLimit)
        switch phase {
        case .idle, .readingHead:
            answerAndClose(context, mistake, cut: .malformed)
        case .readingBody:
            // The request's handler is reading this body: it answers the mistake itself.
            closeAfterAnswer = true
            report(GuardReport(cut: .malformed))
            context.fireErrorCaught(mistake)
        case .answering:
            pendingMistake = mistake
        case .closing:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response):
            answerStatus = response.status.code
            // A handler that refused a body unread says `Connection: close`: the rest is not wanted.
            if closeAfterAnswer || pendingMistake != nil || answered + 1 >= limits.maxRequests
                || response.headerFields[.connection] == "close"
            {
                closeAfterAnswer = true
                response.headerFields[.connection] = "close"
            }
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            answered += 1
            if let pendingMistake {
                context.write(data, promise: promise)
                answerAndClose(context, pendingMistake, cut: .malformed)
            } else if closeAfterAnswer {
                context.writeAndFlush(data, promise: promise)
                lingerThenClose(context)
            } else {
                context.write(data, promise: promise)
                // A pipelined request may already be under way; it keeps its own clock.
                if heads == answered { becomeIdle(context) }
            }
        }
    }

    private func startBodyWindow(_ context: ChannelHandlerContext) {
        waitedThisWindow = .zero
        if waitingSince != nil { waitingSince = .now }
        arm(context, after: limits.bodyWindow) { guardHandler, context in guardHandler.checkBodyRate(context) }
    }

    private func checkBodyRate(_ context: ChannelHandlerContext) {
        guard case .readingBody(let bytes) = phase else { return }
        let waited = waitedThisWindow + (waitingSince.map { .now - $0 } ?? .zero)
        if bytes >= max(1, limits.minBodyBytesPerWindow) || waited < limits.bodyWindow / 2 {
            phase = .readingBody(bytesThisWindow: 0)
            startBodyWindow(context)
            return
        }
        let seconds = Double(limits.bodyWindow.components.seconds) + Double(limits.bodyWindow.components.attoseconds) / 1e18
        let mistake = HTTPMistake.slowBody(
            minimumBytesPerSecond: Int(Double(limits.minBodyBytesPerWindow) / seconds), window: limits.bodyWindow)
        phase = .answering
        closeAfterAnswer = true
        // The request's handler answers the mistake (and logs it).
        report(GuardReport(cut: .slowBody))
        context.fireErrorCaught(mistake)
    }

    private func becomeIdle(_ context: ChannelHandlerContext) {
        phase = .idle
        arm(context, after: limits.idleTimeout) { guardHandler, context in
            guardHandler.report(GuardReport(cut: .idle))
            guardHandler.phase = .closing
            context.close(promise: nil)
        }
    }

    /// Answers `mistake` as JSON on a connection no request handler is using, then closes it.
    private func answerAndClose(_ context: ChannelHandlerContext, _ mistake: HTTPMistake, cut: ConnectionCut) {
        phase = .closing
        cancelTimer()
        report(GuardReport(cut: cut, answer: mistake))
        let body = ErrorBody.response(status: mistake.status, message: mistake.message).body
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(body.count)
        fields[.connection] = "close"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .init(code: mistake.status), headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        lingerThenClose(context)
    }

    private func lingerThenClose(_ context: ChannelHandlerContext) {
        phase = .closing
        context.close(mode: .output, promise: nil)
        arm(context, after: limits.linger) { _, context in context.close(promise: nil) }
    }

    private func arm(
        _ context: ChannelHandlerContext, after delay: Duration, _ fire: @escaping (ConnectionGuard, ChannelHandlerContext) -> Void
    ) {
        cancelTimer()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [self] in
            timer = nil
            fire(self, context)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}

/// Tells the guard that bytes arrived before the HTTP decoder has made a part of them, so a head
/// trickled byte by byte is timed from its first byte, not from when it is complete.
final class InboundBytesTap: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let guardHandler: ConnectionGuard

    init(_ guardHandler: ConnectionGuard) {
        self.guardHandler = guardHandler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guardHandler.bytesArrived()
        context.fireChannelRead(data)
    }
}
