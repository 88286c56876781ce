import Foundation
import RemoteDecode
import Testing
import Wire

@testable import LatentKit

/// The client against servers that fail the ways real endpoints do.
@Suite struct FaultTests {
    let sleeps = RecordingSleeper()
    var client: RemoteClient { RemoteClient(sleeper: sleeps.sleeper, random: { 0.5 }) }

    var imageRequest: DecodeRequest {
        get throws {
            DecodeRequest(
                latent: try seededLatent([1, 4, 8, 8]),
                parameters: DecodeParameters(imageFormat: .png, shape: [], dtype: .float16, scalingFactor: 0.18215))
        }
    }

    func configuration(_ endpoints: [String], attempts: Int = 3, timeout: Double = 20) -> RemoteConfiguration {
        RemoteConfiguration(
            endpoints: endpoints, retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.5, maxDelay: 4, jitter: 0.2),
            limits: TransferLimits(connectTimeout: 5, totalTimeout: timeout))
    }

    func failure(_ request: DecodeRequest, _ configuration: RemoteConfiguration, events: EventLog = EventLog()) async -> RemoteError? {
        do {
            _ = try await client.decode(request, configuration: configuration) { events.append($0) }
            return nil
        } catch {
            return error
        }
    }

    @Test func a500WithJSONIsFinalAndSaysWhy() async throws {
        let server = try MisbehavingServer([
            .respond(status: 500, headers: [("Content-Type", "application/json")], body: Array(#"{"error": "CUDA out of memory"}"#.utf8))
        ])
        let error = await failure(try imageRequest, configuration([server.url]))
        #expect(error == .rejected(endpoint: server.url, reason: "the endpoint answered HTTP 500: CUDA out of memory"))
        #expect(server.requests.count == 1)
        #expect(sleeps.recorded.isEmpty)
    }

    @Test func a503ThenSuccessRetriesHonouringRetryAfter() async throws {
        let png = try pngBytes()
        let server = try MisbehavingServer([
            .respond(status: 503, headers: [("Retry-After", "7")], body: Array(#"{"error": "scaled to zero"}"#.utf8)),
            .respond(status: 200, headers: [("Content-Type", "image/png")], body: png),
        ])
        let events = EventLog()
        let (payload, endpoint) = try await client.decode(try imageRequest, configuration: configuration([server.url])) {
            events.append($0)
        }
        #expect(payload == .image(.png, png) && endpoint == server.url)
        #expect(sleeps.recorded == [7])
        #expect(
            events.retries == [
                .retrying(
                    endpoint: server.url, afterSeconds: 7,
                    reason:
                        "the endpoint answered HTTP 503: scaled to zero (the endpoint may be scaled to zero and starting; retry in a minute)"
                )
            ])
        // Every try carried the same request, as diffusers would send it.
        #expect(server.requests.count == 2)
        #expect(server.requests.allSatisfy { $0.target == "/?" + (try! imageRequest).wire.queryString && $0.bodyLength == 512 })
        #expect(server.requests[0].headers["content-type"] == "tensor/binary" && server.requests[0].headers["accept"] == "image/png")
    }

    @Test func backoffGrowsExponentiallyAndGivesUp() async throws {
        let server = try MisbehavingServer([
            .respond(
                status: 502, headers: [("Content-Type", "text/html")],
                body: Array("<html><head><title>502 Bad Gateway</title></head></html>".utf8))
        ])
        let error = await failure(try imageRequest, configuration([server.url], attempts: 4))
        #expect(error == .exhausted(endpoint: server.url, attempts: 4, last: "the endpoint answered HTTP 502: 502 Bad Gateway"))
        #expect(sleeps.recorded == [0.5, 1, 2])
        #expect(server.requests.count == 4)
    }

    @Test func aResponseSlowerThanTheTimeoutEndsInATimeout() async throws {
        let server = try MisbehavingServer([.hang])
        let started = Date()
        let error = await failure(try imageRequest, configuration([server.url], attempts: 2, timeout: 0.4))
        #expect(
            error
                == .exhausted(endpoint: server.url, attempts: 2, last: "no complete answer within 0.4 s (raise --timeout for cold starts)"))
        // Only "it did not hang": 2 × 0.4 s of timeout, with room for a machine busy building.
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func aResetMidBodyIsRetried() async throws {
        let png = try pngBytes()
        let server = try MisbehavingServer([
            .resetMidBody(declared: 5000, sent: Array(png.prefix(20))),
            .respond(status: 200, headers: [], body: png),
        ])
        let (payload, _) = try await client.decode(try imageRequest, configuration: configuration([server.url]))
        #expect(payload == .image(.png, png))
        #expect(sleeps.recorded.count == 1)
    }

    @Test func aBodyShorterThanContentLengthIsRetriedThenReported() async throws {
        let png = try pngBytes()
        let server = try MisbehavingServer([.shortBody(declared: png.count + 100, sent: png)])
        let error = await failure(try imageRequest, configuration([server.url], attempts: 2))
        guard case .exhausted(_, 2, let last) = error else {
            Issue.record("expected exhaustion, got \(String(describing: error))")
            return
        }
        #expect(last.hasPrefix("the answer was cut short"))
    }

    @Test func aTensorAnswerWithoutShapeHeaderIsAClearError() async throws {
        let server = try MisbehavingServer([.respond(status: 200, headers: [("dtype", "float16")], body: [UInt8](repeating: 0, count: 64))])
        var request = try imageRequest
        request.parameters.apply(.pt)
        let error = await failure(request, configuration([server.url]))
        #expect(error == .rejected(endpoint: server.url, reason: "the response lacks the 'shape' header a tensor response must carry"))
        #expect(server.requests.count == 1)
    }

    @Test func aDeadFirstEndpointFailsOverToTheSecond() async throws {
        let png = try pngBytes()
        let live = try MisbehavingServer([.respond(status: 200, headers: [], body: png)])
        let dead = "http://127.0.0.1:\(MisbehavingServer.deadPort())/"
        let events = EventLog()
        let (payload, endpoint) = try await client.decode(try imageRequest, configuration: configuration([dead, live.url])) {
            events.append($0)
        }
        #expect(payload == .image(.png, png) && endpoint == live.url)
        #expect(events.all.contains { if case .failingOver(dead, live.url, _) = $0 { true } else { false } })
        #expect(sleeps.recorded.isEmpty)
    }

    /// A refusal would come back on every try: the last endpoint fails after one attempt, no waiting.
    @Test func aRefusedLastEndpointFailsAtOnce() async throws {
        let dead = "http://127.0.0.1:\(MisbehavingServer.deadPort())/"
        let events = EventLog()
        let error = await failure(try imageRequest, configuration([dead], attempts: 4), events: events)
        #expect(error == .connectionRefused(endpoint: dead))
        #expect(error?.description.hasPrefix("connection refused at \(dead)") == true)
        #expect(events.attempts == [dead])
        #expect(sleeps.recorded.isEmpty)
    }

    @Test func refusedEndpointsAreEachTriedOnceInOrder() async throws {
        let first = "http://127.0.0.1:\(MisbehavingServer.deadPort())/"
        let second = "http://127.0.0.1:\(MisbehavingServer.deadPort())/"
        let events = EventLog()
        let error = await failure(try imageRequest, configuration([first, second], attempts: 4), events: events)
        #expect(error == .connectionRefused(endpoint: second))
        #expect(events.attempts == [first, second])
        #expect(events.all.contains(.failingOver(from: first, to: second, reason: "connection refused at \(first)")))
        #expect(sleeps.recorded.isEmpty)
    }

    @Test func a404MovesOnToTheNextEndpointAndIsExplainedWhenLast() async throws {
        let html = Array("<html><head><title>404 Not Found</title></head></html>".utf8)
        let moved = try MisbehavingServer([.respond(status: 404, headers: [("Content-Type", "text/html")], body: html)])
        let error = await failure(try imageRequest, configuration([moved.url]))
        #expect(error?.description.contains("404 Not Found (the endpoint URL may have changed") == true)
        #expect(moved.requests.count == 1)
    }

    @Test func tokensGoOnlyWhereTheyShould() async throws {
        let png = try pngBytes()
        let server = try MisbehavingServer([.respond(status: 200, headers: [], body: png)])
        var configuration = configuration([server.url])
        configuration.token = AccessToken(value: "hf_secret", source: "HF_TOKEN")
        _ = try await client.decode(try imageRequest, configuration: configuration)
        configuration.tokenForAllEndpoints = true
        _ = try await client.decode(try imageRequest, configuration: configuration)
        #expect(server.requests.map { $0.headers["authorization"] } == [nil, "Bearer hf_secret"])
        #expect(AccessToken.isHuggingFaceHost("https://x2dmsqunjd6k9prw.us-east-1.aws.endpoints.huggingface.cloud"))
        #expect(!AccessToken.isHuggingFaceHost("https://huggingface.cloud.evil.example/"))
    }

    @Test func tokenDiscoveryFollowsTheHuggingFaceConventions() throws {
        #expect(AccessToken.discover(environment: ["HF_TOKEN": " hf_a \n"]) == AccessToken(value: "hf_a", source: "HF_TOKEN"))
        let directory = try temporaryDirectory()
        try "hf_file\n".write(to: directory.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        #expect(AccessToken.discover(environment: ["HF_HOME": directory.path])?.value == "hf_file")
        #expect(AccessToken.discover(environment: ["HOME": "/nonexistent"]) == nil)
    }

    @Test func retryPolicyArithmetic() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: 1, maxDelay: 5, jitter: 0.2, maxRetryAfter: 60)
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, unit: 0.5) == 1)
        #expect(policy.delay(afterAttempt: 3, retryAfter: nil, unit: 0.5) == 4)
        #expect(policy.delay(afterAttempt: 9, retryAfter: nil, unit: 0.5) == 5)
        #expect(policy.delay(afterAttempt: 1, retryAfter: nil, unit: 0) == 0.8)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 600, unit: 0.5) == 60)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryPolicy.parseRetryAfter("120") == 120)
        #expect(RetryPolicy.parseRetryAfter("Tue, 14 Nov 2023 22:13:40 GMT", now: now) == 20)
        #expect(RetryPolicy.parseRetryAfter("soon") == nil)
    }
}
