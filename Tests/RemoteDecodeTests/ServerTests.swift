import Foundation
import LatenttyServer
import NativeVAE
import RemoteDecode
import Synchronization
import Testing
import Wire

@testable import LatentKit

/// The server under bad requests: precise 400/413/503 answers, and it stays up.
@Suite struct ServerTests {
    let client = ServerTestClient()

    @Test func badRequestsGetJSONErrorsAndTheServerStaysUp() async throws {
        let log = AccessLines()
        let configuration = ServerConfiguration(port: 0, maxBodyBytes: 64 << 10, logFormat: .text)
        try await withLatenttyServer(configuration: configuration, log: log) { url in
            let health = try await client.get(url + "health")
            #expect(health.status == 200 && health.body == Array("Ok".utf8))
            #expect(try await client.get(url).body == Array("Ok".utf8))

            let unknown = try await client.post(
                url, query: "shape=1&shape=4&shape=8&shape=8&dtype=float8", body: [UInt8](repeating: 0, count: 256))
            #expect(unknown.status == 400)
            #expect(client.errorMessage(unknown)?.contains("unknown dtype 'float8'") == true)

            let lying = try await client.post(
                url, query: "shape=1&shape=4&shape=64&shape=64&dtype=float16", body: [UInt8](repeating: 0, count: 100))
            #expect(lying.status == 400)
            #expect(client.errorMessage(lying) == "a float16 tensor of shape [1, 4, 64, 64] is 32768 bytes, but the body is 100 bytes")

            let garbage = try await client.post(url, query: "%%%&&&==&shape=abc", body: [1, 2, 3])
            #expect(garbage.status == 400 && client.errorMessage(garbage) != nil)

            let wrongChannels = try await client.post(
                url, query: "shape=1&shape=3&shape=8&shape=8&dtype=float32", body: [UInt8](repeating: 0, count: 768))
            #expect(wrongChannels.status == 400)
            #expect(client.errorMessage(wrongChannels)?.contains("no preset takes a latent of shape [1, 3, 8, 8]") == true)

            let videoAsImage = try await client.post(
                url, query: "output_type=pil&shape=1&shape=16&shape=2&shape=4&shape=4&dtype=float16",
                body: [UInt8](repeating: 0, count: 1024))
            #expect(videoAsImage.status == 400 && client.errorMessage(videoAsImage)?.contains("mp4 or pt") == true)

            let oversize = try await client.post(
                url, query: "shape=1&shape=4&shape=128&shape=128&dtype=float32", body: [UInt8](repeating: 0, count: 256 << 10))
            #expect(oversize.status == 413)
            #expect(client.errorMessage(oversize) == "the body is larger than this server's 64.0 KB limit (--max-body-mb)")

            let nan = try await client.post(
                url, query: "shape=1&shape=4&shape=8&shape=8&dtype=float32",
                body: Array(repeating: [0x00, 0x00, 0xC0, 0x7F], count: 256).flatMap { $0 })
            #expect(nan.status == 200)

            #expect(try await client.get(url + "health").status == 200)
        }
        // One access-log line per request.
        #expect(log.all.count == 10)
        #expect(log.all.contains { $0.hasPrefix("POST /?shape=1&shape=4&shape=64&shape=64&dtype=float16 400") })
    }

    /// An engine that holds every decode until released, so the queue can be filled deliberately.
    final class GateEngine: DecodeEngine, Sendable {
        let name = "gate"
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)

        func decode(_ latent: Tensor, preset: Preset) throws(EngineError) -> Tensor {
            entered.signal()
            release.wait()
            return try Latent2RGBEngine().decode(latent, preset: preset)
        }
    }

    @Test func aFullQueueAnswers503WithRetryAfter() async throws {
        let engine = GateEngine()
        let configuration = ServerConfiguration(port: 0, workers: 1, queueCapacity: 1, retryAfterSeconds: 3)
        try await withLatenttyServer(engine: engine, configuration: configuration) { url in
            let query = "output_type=pt&shape=1&shape=4&shape=2&shape=2&dtype=float32"
            let body = [UInt8](repeating: 0, count: 64)
            async let first = client.post(url, query: query, body: body)
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    engine.entered.wait()
                    continuation.resume()
                }
            }
            let busy = try await client.post(url, query: query, body: body)
            #expect(busy.status == 503)
            #expect(busy.headers["Retry-After"] == "3")
            engine.release.signal()
            #expect(try await first.status == 200)
        }
    }
}
