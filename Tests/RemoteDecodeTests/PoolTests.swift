import Foundation
import Synchronization
import Testing
import Wire
import Workbench

@testable import LatentKit
@testable import RemoteDecode

/// Several endpoints for one preset: jobs spread over them by load, and one that dies is left
/// alone until it may be back, without a job lost or decoded twice.
@Suite struct PoolTests {
    /// What a server answers a `pt` request for a [1, 4, 8, 8] latent.
    static let pixels: MisbehavingServer.Behaviour = .respond(
        status: 200, headers: [("shape", "[1, 3, 64, 64]"), ("dtype", "float16")], body: [UInt8](repeating: 0, count: 3 * 64 * 64 * 2))

    func job(_ index: Int, endpoints: [String]) throws -> DecodeJob {
        DecodeJob(
            name: "job\(index)", source: JobSource(path: "/latents/job\(index).safetensors"), latent: try seededLatent([1, 4, 8, 8]),
            preset: .sd15, backend: .remote(endpoints: endpoints), options: DecodeOptions(outputType: .pt))
    }

    @Test func jobsSpreadOverEndpointsAndAllFinishWhenOneDies() async throws {
        let first = try MisbehavingServer([Self.pixels])
        // Answers twice, then dies with the third request on the wire.
        let dying = try MisbehavingServer([Self.pixels, Self.pixels, .die])
        let third = try MisbehavingServer([Self.pixels])
        let endpoints = [first.url, dying.url, third.url]
        let directory = try temporaryDirectory()
        let backend = RemoteBackend(
            concurrency: 3, client: RemoteClient(sleeper: RecordingSleeper().sleeper),
            configuration: RemoteConfiguration(
                endpoints: endpoints, retry: RetryPolicy(maxAttempts: 2), limits: TransferLimits(totalTimeout: 30)))
        let queue = DecodeQueue(backends: [backend], writer: OutputWriter(directory: directory))
        for index in 0..<12 { await queue.submit(try job(index, endpoints: endpoints)) }
        await queue.waitUntilIdle()
        let statuses = await queue.allStatuses
        #expect(statuses.allSatisfy { $0.state == .done }, "\(statuses.compactMap(\.error))")
        // Each job was answered exactly once; the dying server answered its two before it died.
        #expect(first.answers + dying.answers + third.answers == 12)
        #expect(dying.answers == 2)
        #expect(first.requests.count > 0 && third.requests.count > 0)
        let results = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".safetensors") }
        #expect(results.count == 12)
        #expect(Set(statuses.compactMap(\.endpoint)).count >= 2)
    }

    /// Once the pool holds an endpoint down, a job does not wait to retry it but moves on.
    @Test func aJobLeavesAnEndpointThePoolHoldsDownWithoutWaiting() async throws {
        let sleeps = RecordingSleeper()
        let png = try pngBytes()
        let cut = try MisbehavingServer([.resetMidBody(declared: 5000, sent: Array(png.prefix(20)))])
        let live = try MisbehavingServer([.respond(status: 200, headers: [], body: png)])
        let client = RemoteClient(sleeper: sleeps.sleeper, pool: EndpointPool(failuresToMarkDown: 1))
        let request = DecodeRequest(
            latent: try seededLatent([1, 4, 8, 8]), parameters: DecodeParameters(imageFormat: .png, shape: [], dtype: .float16))
        let (payload, endpoint) = try await client.decode(
            request, configuration: RemoteConfiguration(endpoints: [cut.url, live.url], retry: RetryPolicy(maxAttempts: 4)))
        #expect(payload == .image(.png, png) && endpoint == live.url)
        #expect(cut.requests.count == 1 && sleeps.recorded.isEmpty)
    }

    @Test func anEndpointFailingToConnectIsMarkedDownThenProbedBack() throws {
        let clock = ManualClock()
        let pool = EndpointPool(failuresToMarkDown: 3, coolDown: 30, now: { clock.now })
        let endpoints = ["http://a/", "http://b/"]
        // Least outstanding first, ties in the configured order.
        let one = pool.claim(among: endpoints, excluding: [])
        let two = pool.claim(among: endpoints, excluding: [])
        #expect([one, two] == ["http://a/", "http://b/"])
        pool.release("http://a/")
        pool.release("http://b/")
        for _ in 0..<3 { pool.failedToConnect("http://a/") }
        #expect(pool.isDown("http://a/"))
        #expect(pool.claim(among: endpoints, excluding: []) == "http://b/")
        pool.release("http://b/")
        // Down and not cooled off: still the last resort when nothing else is left.
        #expect(pool.claim(among: endpoints, excluding: ["http://b/"]) == "http://a/")
        pool.release("http://a/")
        clock.advance(31)
        // Cooled off: one request probes it; a second one goes elsewhere while the probe runs.
        #expect(pool.claim(among: ["http://a/"], excluding: []) == "http://a/")
        #expect(pool.claim(among: endpoints, excluding: []) == "http://b/")
        pool.answered("http://a/")
        #expect(!pool.isDown("http://a/"))
    }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: Double) { time.withLock { $0 += seconds } }
}
