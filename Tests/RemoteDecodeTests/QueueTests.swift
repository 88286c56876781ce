import Foundation
import ImageCodecs
import NativeVAE
import RemoteDecode
import Synchronization
import Testing
import Wire
import Workbench

@testable import LatentKit

/// The queue: one failing job never harms another, results are on disk, cancellation works.
@Suite struct QueueTests {
    func job(_ name: String, backend: BackendIdentity, output: OutputType = .pil, format: ImageFormat = .png) throws -> DecodeJob {
        DecodeJob(
            name: name, source: JobSource(path: "/samples/\(name).safetensors", seed: 13), latent: try seededLatent([1, 4, 16, 16]),
            preset: .sd15, backend: backend, options: DecodeOptions(outputType: output, imageFormat: format))
    }

    func backend(_ url: String) -> RemoteBackend {
        RemoteBackend(
            client: RemoteClient(sleeper: RecordingSleeper().sleeper),
            configuration: RemoteConfiguration(
                endpoints: [url], retry: RetryPolicy(maxAttempts: 2), limits: TransferLimits(totalTimeout: 30)))
    }

    @Test func aFailingJobLeavesTheOthersAndTheirFilesAlone() async throws {
        let broken = try MisbehavingServer([.respond(status: 500, headers: [], body: Array(#"{"error": "boom"}"#.utf8))])
        let directory = try temporaryDirectory()
        try await withLatenttyServer { url in
            let queue = DecodeQueue(
                backends: [backend(url), backend(broken.url)], writer: OutputWriter(directory: directory))
            let events = await queue.events()
            let watcher = Task {
                var seen: [JobState] = []
                for await event in events {
                    guard case .status(let status) = event, status.name == "a" else { continue }
                    seen.append(status.state)
                }
                return seen
            }
            let good = BackendIdentity.remote(endpoints: [url])
            await queue.submit(try job("a", backend: good))
            await queue.submit(try job("b", backend: .remote(endpoints: [broken.url])))
            await queue.submit(try job("c", backend: good, output: .pt))
            await queue.waitUntilIdle()
            let statuses = await queue.allStatuses
            watcher.cancel()
            #expect(statuses.map(\.state) == [.done, .failed, .done])
            #expect(statuses[1].error == "\(broken.url): the endpoint answered HTTP 500: boom")
            let png = try #require(statuses[0].outputs.first { $0.hasSuffix(".png") })
            let decoded = try PNGCodec.decode(Array(try Data(contentsOf: URL(fileURLWithPath: png))))
            #expect(decoded.image.width == 128)
            #expect(decoded.text["latentty.preset"] == "sd15" && decoded.text["latentty.seed"] == "13")
            #expect(decoded.text["latentty.endpoint"] == url)
            #expect(statuses[0].progress.uploaded == 2048 && statuses[0].progress.downloaded > 0)
            #expect(statuses[2].outputs.map { URL(fileURLWithPath: $0).lastPathComponent } == ["c.safetensors", "c.png", "c.json"])
            let sidecar = try JSONDecoder().decode(
                OutputWriter.Sidecar.self, from: Data(contentsOf: URL(fileURLWithPath: statuses[0].outputs.last!)))
            #expect(sidecar.latentShape == [1, 4, 16, 16] && sidecar.endpoint == url && sidecar.outputs == ["a.png"])
            let seen = await watcher.value
            #expect(seen.first == .queued && seen.last == .done)
        }
    }

    @Test func cancellingAHungJobDoesNotWaitForTheTimeout() async throws {
        let hung = try MisbehavingServer([.hang])
        let directory = try temporaryDirectory()
        let queue = DecodeQueue(
            backends: [backend(hung.url), LocalBackend(engine: Latent2RGBEngine())], writer: OutputWriter(directory: directory))
        let events = await queue.events()
        let stuck = await queue.submit(try job("stuck", backend: .remote(endpoints: [hung.url])))
        let local = await queue.submit(try job("local", backend: .local(.approx)))
        // Cancel once the request is on the wire.
        for await event in events {
            guard case .status(let status) = event, status.id == stuck, status.endpoint != nil else { continue }
            await queue.cancel(stuck)
            break
        }
        await queue.waitUntilIdle()
        #expect(await queue.status(of: stuck)?.state == .cancelled)
        #expect(await queue.status(of: local)?.state == .done)
    }

    @Test func outputsNeverOverwriteEarlierOnes() async throws {
        let directory = try temporaryDirectory()
        let queue = DecodeQueue(backends: [LocalBackend(engine: Latent2RGBEngine())], writer: OutputWriter(directory: directory))
        await queue.submit(try job("same", backend: .local(.approx)))
        await queue.submit(try job("same", backend: .local(.approx)))
        await queue.submit(try job("unknown", backend: .local(LocalEngineSpec(engine: .full, weights: "/nowhere"))))
        await queue.waitUntilIdle()
        let statuses = await queue.allStatuses
        #expect(statuses[0].outputs.map { URL(fileURLWithPath: $0).lastPathComponent } == ["same.png", "same.json"])
        #expect(statuses[1].outputs.map { URL(fileURLWithPath: $0).lastPathComponent } == ["same-2.png", "same-2.json"])
        #expect(statuses[2].state == .failed && statuses[2].failure?.remedy == .otherBackend)
        #expect(statuses[2].error == "no backend is set up for this machine (full (nowhere) engine)")
    }
}

/// A backend whose runs wait at a gate the test opens, to observe the queue's concurrency limit.
final class GatedBackend: DecodeBackend, Sendable {
    let identity = BackendIdentity.remote(endpoints: ["gated://"])
    let concurrency: Int
    let entered: AsyncStream<UUID>
    private let enteredSink: AsyncStream<UUID>.Continuation
    private let gate = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    init(concurrency: Int) {
        self.concurrency = concurrency
        (entered, enteredSink) = AsyncStream.makeStream()
    }

    func open() {
        let waiting = gate.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        waiting.forEach { $0.resume() }
    }

    func run(_ job: DecodeJob, report: @escaping @Sendable (BackendUpdate) -> Void) async throws(JobFailure) -> DecodeResult {
        report(.state(.decoding))
        enteredSink.yield(job.id)
        await withCheckedContinuation { continuation in
            let proceed = gate.withLock { state in
                if !state.open { state.waiting.append(continuation) }
                return state.open
            }
            if proceed { continuation.resume() }
        }
        let pixels = try? Tensor(values: [Float](repeating: 0, count: 3 * 4), shape: [1, 3, 2, 2])
        guard let pixels else { throw .engine("no pixels") }
        return DecodeResult(payload: .tensor(pixels), engine: "gate")
    }
}

@Suite struct ConcurrencyTests {
    @Test func aBackendRunsAtMostItsConcurrency() async throws {
        let backend = GatedBackend(concurrency: 2)
        let queue = DecodeQueue(backends: [backend], writer: OutputWriter(directory: try temporaryDirectory()))
        var ids: [UUID] = []
        for index in 0..<5 {
            let job = DecodeJob(
                name: "j\(index)", source: JobSource(), latent: try seededLatent([1, 4, 2, 2]), preset: .sd15, backend: backend.identity,
                options: DecodeOptions(outputType: .pt))
            ids.append(await queue.submit(job))
        }
        var iterator = backend.entered.makeAsyncIterator()
        let first = await iterator.next()
        let second = await iterator.next()
        #expect(Set([first, second]) == Set(ids.prefix(2)))
        // Exactly the first two have been started; the other three wait their turn.
        let started = await queue.allStatuses.map { $0.startedAt != nil }
        #expect(started == [true, true, false, false, false])
        backend.open()
        await queue.waitUntilIdle()
        #expect(await queue.allStatuses.allSatisfy { $0.state == .done })
    }
}
