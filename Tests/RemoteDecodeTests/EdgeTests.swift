import Foundation
import ImageCodecs
import RemoteDecode
import Testing
import Wire

@testable import LatentKit

/// The client against endpoints that answer what no request can produce: headers that lie, bodies
/// without end, half images, odd `Retry-After`s, redirects elsewhere.
@Suite struct EdgeTests {
    let sleeps = RecordingSleeper()
    var client: RemoteClient { RemoteClient(sleeper: sleeps.sleeper, random: { 0.5 }) }

    func request(_ output: OutputType, format: ImageFormat = .png) throws -> DecodeRequest {
        var parameters = DecodeParameters(imageFormat: format, shape: [], dtype: .float16, scalingFactor: 0.18215)
        parameters.apply(output)
        return DecodeRequest(latent: try seededLatent([1, 4, 8, 8]), parameters: parameters)
    }

    func configuration(_ endpoints: [String], attempts: Int = 3, followRedirects: Bool = false) -> RemoteConfiguration {
        RemoteConfiguration(
            endpoints: endpoints, retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.5, maxDelay: 4, jitter: 0.2),
            limits: TransferLimits(connectTimeout: 5, totalTimeout: 20), followRedirects: followRedirects)
    }

    func failure(_ request: DecodeRequest, _ configuration: RemoteConfiguration) async -> RemoteError? {
        do {
            _ = try await client.decode(request, configuration: configuration)
            return nil
        } catch {
            return error
        }
    }

    @Test func aShapeNoRequestCanProduceIsRefusedBeforeAnythingIsAllocated() async throws {
        let server = try MisbehavingServer([
            .respond(status: 200, headers: [("shape", "[100000000000, 0, 1, 3]"), ("dtype", "uint8")], body: [])
        ])
        let error = await failure(try request(.ptUInt8), configuration([server.url]))
        #expect(
            error
                == .rejected(
                    endpoint: server.url,
                    reason:
                        "the endpoint sent a uint8 tensor of shape [100000000000, 0, 1, 3], but this request can only give uint8 [N, H, W, 3] with N ≤ 1, H ≤ 128, W ≤ 128"
                ))
        #expect(server.requests.count == 1)
    }

    @Test func tensorAnswersMustAgreeWithTheRequestAndTheirBytes() throws {
        let parameters = try request(.pt).parameters
        func answer(_ shape: String, _ dtype: String, bytes: Int) -> WireResponse {
            WireResponse(status: 200, headers: [Header("shape", shape), Header("dtype", dtype)], body: [UInt8](repeating: 0, count: bytes))
        }
        #expect(throws: Never.self) { try DecodedPayload.parse(answer("[1, 3, 64, 64]", "float16", bytes: 24576), for: parameters) }
        // More images than latents, channels that are not RGB, a size beyond any VAE's factor, a shape for a video.
        for shape in ["[2, 3, 64, 64]", "[1, 4, 64, 64]", "[1, 3, 64, 4096]", "[1, 3, 2, 64, 64]", "[1, 3, 0, 64]"] {
            #expect(throws: WireError.self) { try DecodedPayload.parse(answer(shape, "float16", bytes: 0), for: parameters) }
        }
        #expect(throws: WireError.bodyLengthMismatch(shape: [1, 3, 64, 64], dtype: .float16, expected: 24576, actual: 100)) {
            try DecodedPayload.parse(answer("[1, 3, 64, 64]", "float16", bytes: 100), for: parameters)
        }
        #expect(AnswerBounds(parameters) == AnswerBounds(batch: 1, frames: 1, height: 128, width: 128))
        let video = DecodeParameters(outputType: .pt, shape: [1, 16, 3, 8, 8], dtype: .bfloat16)
        #expect(AnswerBounds(video)?.check(shape: [1, 3, 9, 64, 64], dtype: .float32) == nil)
    }

    @Test func anEndlessChunkedAnswerIsCutOffAtWhatTheRequestCanProduce() async throws {
        let server = try MisbehavingServer([.endlessChunked(limit: 256 << 20)])
        let error = await failure(try request(.pil), configuration([server.url]))
        // 1 × 128 × 128 pixels as float32 RGB, plus 1 MiB for the container.
        #expect(error == .rejected(endpoint: server.url, reason: "the answer passed 1.2 MiB, the most this request may receive"))
        #expect(server.bodyBytesSent < 32 << 20)
    }

    @Test func aGzipBombIsCutOffAsItInflates() async throws {
        let bomb = Array(try Data(contentsOf: Fixtures.protocolFolder.appendingPathComponent("gzip_bomb_32mib_zeros.gz")))
        let server = try MisbehavingServer([
            .respond(status: 200, headers: [("Content-Encoding", "gzip"), ("Content-Type", "image/png")], body: bomb)
        ])
        let error = await failure(try request(.pil), configuration([server.url]))
        #expect(error == .rejected(endpoint: server.url, reason: "the answer passed 1.2 MiB, the most this request may receive"))
    }

    @Test func headersWithoutEndAreCutOff() async throws {
        let headers = (0..<20_000).map { ("X-Padding-\($0)", String(repeating: "p", count: 40)) }
        let server = try MisbehavingServer([.respond(status: 200, headers: headers, body: try pngBytes())])
        let error = await failure(try request(.pil), configuration([server.url]))
        #expect(error == .rejected(endpoint: server.url, reason: "the answer's headers passed 256 KiB"))
    }

    @Test func aTwoHundredWithHalfAJPEGIsAnError() async throws {
        var pixels = [UInt8](repeating: 0, count: 64 * 64 * 3)
        for index in pixels.indices { pixels[index] = UInt8((index &* 7919) % 251) }
        let jpeg = try JPEGCodec.encode(try RGBImage(width: 64, height: 64, pixels: pixels))
        let server = try MisbehavingServer([
            .respond(status: 200, headers: [("Content-Type", "image/jpeg")], body: Array(jpeg.prefix(jpeg.count / 2)))
        ])
        let error = await failure(try request(.pil, format: .jpg), configuration([server.url]))
        guard case .rejected(_, let reason) = error else {
            Issue.record("expected a rejection, got \(String(describing: error))")
            return
        }
        #expect(reason.hasPrefix("expected a complete JPEG image but the endpoint sent one that does not decode"))
        let whole = try MisbehavingServer([.respond(status: 200, headers: [("Content-Type", "image/jpeg")], body: jpeg)])
        let (payload, _) = try await client.decode(try request(.pil, format: .jpg), configuration: configuration([whole.url]))
        #expect(payload == .image(.jpeg, jpeg))
    }

    /// A small PNG may claim a huge canvas; its header is judged before anything is decoded.
    @Test func anImageLargerThanTheRequestCanProduceIsRefusedUndecoded() async throws {
        var png = try pngBytes()
        png.replaceSubrange(16..<24, with: [0, 0, 0x40, 0, 0, 0, 0x40, 0])
        let server = try MisbehavingServer([.respond(status: 200, headers: [("Content-Type", "image/png")], body: png)])
        let error = await failure(try request(.pil), configuration([server.url]))
        #expect(
            error
                == .rejected(
                    endpoint: server.url, reason: "the endpoint sent a 16384×16384 image, but this request can only give up to 128×128"))
    }

    @Test func retryAfterThatIsNoUsableDelayFallsBackToTheBackoffAndLongOnesAreCapped() async throws {
        #expect(RetryPolicy.parseRetryAfter("nan") == nil)
        #expect(RetryPolicy.parseRetryAfter("-5") == nil)
        #expect(RetryPolicy.parseRetryAfter("inf") == nil)
        #expect(RetryPolicy.parseRetryAfter("Tue, 14 Nov 2023 22:13:40 GMT", now: Date(timeIntervalSince1970: 1_800_000_000)) == 0)
        #expect(RetryPolicy().delay(afterAttempt: 1, retryAfter: RetryPolicy.parseRetryAfter("1e300"), unit: 0.5) == 60)
        let png = try pngBytes()
        let server = try MisbehavingServer([
            .respond(status: 503, headers: [("Retry-After", "nan")], body: []),
            .respond(status: 503, headers: [("Retry-After", "-5")], body: []),
            .respond(status: 503, headers: [("Retry-After", "99999999")], body: []),
            .respond(status: 200, headers: [], body: png),
        ])
        _ = try await client.decode(try request(.pil), configuration: configuration([server.url], attempts: 4))
        #expect(sleeps.recorded == [0.5, 1, 60])
    }

    @Test func redirectsAreFollowedWithinTheHostAndElsewhereOnlyWhenAsked() async throws {
        let png = try pngBytes()
        let elsewhere = try MisbehavingServer([.respond(status: 200, headers: [], body: png)])
        let query = try request(.pil).wire.queryString
        let moving = try MisbehavingServer([
            .respond(status: 308, headers: [("Location", "/moved?" + query)], body: []),
            .respond(status: 200, headers: [], body: png),
            .respond(status: 307, headers: [("Location", elsewhere.url + "?" + query)], body: []),
        ])
        let (payload, _) = try await client.decode(try request(.pil), configuration: configuration([moving.url]))
        #expect(payload == .image(.png, png))
        #expect(moving.requests.map { $0.target.prefix(7) } == ["/?image", "/moved?"])

        let error = await failure(try request(.pil), configuration([moving.url]))
        #expect(
            error
                == .rejected(
                    endpoint: moving.url,
                    reason: "the endpoint redirects to \(elsewhere.url)?\(query), another host; pass --follow-redirects to follow it"))
        #expect(elsewhere.requests.isEmpty)
        _ = try await client.decode(try request(.pil), configuration: configuration([moving.url], followRedirects: true))
        #expect(elsewhere.requests.count == 1)
    }
}
