import Foundation
import ImageCodecs
import RemoteDecode
import Testing
import Wire

@testable import LatentKit

/// `RemoteClient.encode` on the wire: what a loopback server receives is what diffusers'
/// `remote_encode` sends (Tests/Fixtures/protocol/diffusers_requests.json), through the same
/// retries as a decode.
@Suite struct EncodeClientTests {
    struct Recorded: Decodable {
        let path: String
        let headers: [String: String]
        let body_len: Int
        let `case`: String
    }

    static func recorded(_ name: String) throws -> Recorded {
        let data = try Data(contentsOf: Fixtures.protocolFolder.appendingPathComponent("diffusers_requests.json"))
        return try #require(try JSONDecoder().decode([Recorded].self, from: data).first { $0.case == name })
    }

    let sleeps = RecordingSleeper()
    var client: RemoteClient { RemoteClient(sleeper: sleeps.sleeper, random: { 0.5 }) }

    func configuration(_ url: String) -> RemoteConfiguration {
        RemoteConfiguration(endpoints: [url], retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.5, maxDelay: 4, jitter: 0))
    }

    static func answer(_ latent: Tensor) -> MisbehavingServer.Behaviour {
        let wire = EncodeRequest.response(latent)
        return .respond(status: 200, headers: wire.headers.map { ($0.name, $0.value) }, body: wire.body)
    }

    @Test func tensorRequestIsDiffusersAndTheAnswerIsTheServersTensor() async throws {
        let recorded = try Self.recorded("encode_tensor")
        let latent = try seededLatent([1, 16, 4, 8], .float32)
        let server = try MisbehavingServer([Self.answer(latent)])
        defer { server.stop() }
        let zeros = try Tensor(dtype: .float32, shape: [1, 3, 32, 64], bytes: [UInt8](repeating: 0, count: 24576))
        let request = EncodeRequest(input: .tensor(zeros), scalingFactor: 0.3611, shiftFactor: 0.1159)
        let (answer, endpoint) = try await client.encode(request, configuration: configuration(server.url + "encode"))
        #expect(answer == latent)
        #expect(endpoint == server.url + "encode")
        let seen = try #require(server.requests.first)
        #expect(seen.target == recorded.path)
        #expect(seen.body == zeros.bytes && seen.bodyLength == recorded.body_len)
        #expect(seen.headers["content-type"] == nil && recorded.headers["Content-Type"] == nil)
        #expect(seen.headers["content-length"] == recorded.headers["Content-Length"])
    }

    @Test func imageRequestSendsThePNGAsItIsAndRetriesA503() async throws {
        let recorded = try Self.recorded("encode_pil_png")
        let latent = try seededLatent([1, 4, 4, 8], .float32)
        let server = try MisbehavingServer([
            .respond(status: 503, headers: [("Content-Type", "application/json")], body: Array(#"{"error": "starting"}"#.utf8)),
            Self.answer(latent),
        ])
        defer { server.stop() }
        let image = try RGBImage(width: 64, height: 32, pixels: Array([[UInt8]](repeating: [200, 100, 50], count: 64 * 32).joined()))
        let png = try PNGCodec.encode(image)
        let request = EncodeRequest(input: .png(png), scalingFactor: 0.18215)
        let (answer, _) = try await client.encode(request, configuration: configuration(server.url + "encode"))
        #expect(answer == latent)
        #expect(sleeps.recorded.count == 1)
        #expect(server.requests.count == 2)
        for seen in server.requests {
            #expect(seen.target == recorded.path)
            #expect(seen.body == png)
            #expect(seen.headers["content-type"] == nil)
        }
    }

    @Test func aRefusalIsFinalAndQuotesTheServer() async throws {
        let server = try MisbehavingServer([
            .respond(status: 400, headers: [("Content-Type", "application/json")], body: Array(#"{"error": "not a PNG"}"#.utf8))
        ])
        defer { server.stop() }
        let request = EncodeRequest(input: .png([1, 2, 3]), scalingFactor: 0.18215)
        do {
            _ = try await client.encode(request, configuration: configuration(server.url + "encode"))
            Issue.record("a 400 must fail the call")
        } catch {
            #expect(error.description.contains("HTTP 400: not a PNG"))
        }
        #expect(server.requests.count == 1)
    }
}
