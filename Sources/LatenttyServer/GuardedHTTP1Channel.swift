import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with `ConnectionGuard` in the pipeline (and its byte tap
/// before the HTTP decoder, which `HTTP1Channel`'s extra handlers cannot reach). Requests are then
/// handled by Hummingbird's own loop, `handleHTTP`.
struct GuardedHTTP1Channel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionGuard.Limits
    let addresses: AddressConnections
    let report: @Sendable (GuardReport, String) -> Void

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let address = channel.remoteAddress?.ipAddress ?? "unknown"
            let withinCap = addresses.opened(address)
            channel.closeFuture.whenComplete { [addresses] _ in addresses.closed(address) }
            let report = self.report
            let guardHandler = ConnectionGuard(
                limits: limits, refusal: withinCap ? nil : .tooManyConnections(addresses.cap),
                report: { guardReport in report(guardReport, address) })
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderListSize = limits.headerLimit
            decoderLimits.maxHeaderFieldSize = limits.headerLimit
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(InboundBytesTap(guardHandler))
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(guardHandler)
            // Hummingbird's own handler: on graceful shutdown it closes idle connections at once and
            // busy ones after their answer (its idle timeout is left off: the guard keeps time).
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}
