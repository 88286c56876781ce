import DecodePipeline
import Foundation
import ImageCodecs
import NativeVAE
import RemoteDecode
import Testing
import Wire
import Workbench

@testable import LatentKit

/// Backends as values: made once per identity, reused, re-created from a journal.
@Suite struct BackendRegistryTests {
    func job(_ name: String, preset: Preset = .sd15, shape: [Int] = [1, 4, 8, 8], backend: BackendIdentity) throws -> DecodeJob {
        DecodeJob(
            name: name, source: JobSource(seed: 13), latent: try seededLatent(shape), preset: preset, backend: backend,
            options: DecodeOptions(outputType: .pil, imageFormat: .png))
    }

    @Test func oneClientPerEndpointSetReusesItsConnection() async throws {
        let server = try MisbehavingServer([.keepAlive(status: 200, headers: [("Content-Type", "image/png")], body: try pngBytes())])
        let queue = DecodeQueue(registry: .standard(remoteConcurrency: 1), writer: OutputWriter(directory: try temporaryDirectory()))
        let endpoint = BackendIdentity.remote(endpoints: [server.url])
        for index in 0..<3 { await queue.submit(try job("j\(index)", backend: endpoint)) }
        await queue.waitUntilIdle()
        #expect(await queue.allStatuses.map(\.state) == [.done, .done, .done])
        #expect(server.requests.count == 3)
        // Three jobs, one connection: the backend (and its libcurl pool) outlived each job.
        #expect(server.connections == 1)
    }

    @Test func theSameIdentityGivesTheSameBackend() throws {
        let registry = BackendRegistry.standard()
        let identity = BackendIdentity.remote(endpoints: ["http://127.0.0.1:9/"])
        let first = try registry.backend(for: identity) as? RemoteBackend
        let second = try registry.backend(for: identity) as? RemoteBackend
        #expect(first != nil && first?.client.transport === second?.client.transport)
        let other = try registry.backend(for: .remote(endpoints: ["http://127.0.0.1:10/"])) as? RemoteBackend
        #expect(other?.client.transport !== first?.client.transport)
        #expect(throws: JobFailure.self) { try registry.backend(for: .remote(endpoints: [])) }
    }

    @Test func missingWeightsFailTheJobWithAnActionNotTheQueue() async throws {
        let queue = DecodeQueue(registry: .standard(), writer: OutputWriter(directory: try temporaryDirectory()))
        let missing = BackendIdentity.local(LocalEngineSpec(engine: .full, weights: "/nonexistent/vae"))
        await queue.submit(try job("a", backend: missing))
        await queue.submit(try job("b", backend: .local(.approx)))
        await queue.waitUntilIdle()
        let statuses = await queue.allStatuses
        #expect(statuses.map(\.state) == [.failed, .done])
        #expect(statuses[0].failure?.remedy == .otherBackend)
        #expect(statuses[0].error?.contains("/nonexistent/vae does not exist") == true)
        #expect(statuses[1].backend == .local(.approx) && statuses[1].engine == "approx")
    }

    @Test func aLatentThatDoesNotFitItsPresetAsksForAFix() async throws {
        let queue = DecodeQueue(registry: .standard(), writer: OutputWriter(directory: try temporaryDirectory()))
        await queue.submit(try job("wrong", preset: .flux, shape: [1, 4, 8, 8], backend: .local(.approx)))
        await queue.waitUntilIdle()
        let status = try #require(await queue.allStatuses.first)
        #expect(status.state == .failed && status.failure?.remedy == .fixInput)
    }
}

/// The journal brings back every job on the backend it was recorded with, in order, after a quit
/// (jobs left queued) or a kill (jobs left mid-flight).
@Suite struct JournalResumeTests {
    func latent(seed: UInt64) throws -> Tensor { try seededLatent([1, 4, 8, 8], seed: seed) }

    func job(_ name: String, backend: BackendIdentity, seed: UInt64 = 1) throws -> DecodeJob {
        DecodeJob(
            name: name, source: JobSource(seed: seed), latent: try latent(seed: seed), preset: .sd15, backend: backend,
            options: DecodeOptions(outputType: .pt))
    }

    /// Journals jobs as the workbench does, leaving them as a quit (queued) or a kill (mid-flight) would.
    func journalUnfinished(_ jobs: [DecodeJob], killedMidFlight: Bool) throws -> JobJournal {
        let journal = JobJournal(directory: try temporaryDirectory())
        for job in jobs {
            try journal.record(job)
            if killedMidFlight {
                var status = JobStatus(job: job)
                status.state = job.backend.isLocal ? .decoding : .uploading
                try journal.update(status, job: job)
            }
        }
        return journal
    }

    func resume(_ journal: JobJournal) async throws -> [JobStatus] {
        let queue = DecodeQueue(registry: .standard(), writer: OutputWriter(directory: try temporaryDirectory()), journal: journal)
        #expect(await queue.restoreJournal() == 0)
        await queue.waitUntilIdle()
        return await queue.allStatuses
    }

    @Test(arguments: [false, true])
    func remoteJobsResumeOnTheirEndpoints(killed: Bool) async throws {
        let log = AccessLines()
        try await withLatenttyServer(log: log) { url in
            let names = (0..<12).map { "job\($0)" }
            let journal = try journalUnfinished(
                try names.map { try job($0, backend: .remote(endpoints: [url])) }, killedMidFlight: killed)
            let statuses = try await resume(journal)
            #expect(statuses.map(\.name) == names)
            #expect(statuses.allSatisfy { $0.state == .done && $0.endpoint == url })
            #expect(log.all.filter { $0.hasPrefix("POST") }.count == names.count)
            // The journal now says they are done, with their files.
            let reloaded = journal.load().entries
            #expect(reloaded.map(\.status.state) == Array(repeating: .done, count: names.count))
            #expect(reloaded.allSatisfy { !$0.status.outputs.isEmpty })
        }
    }

    @Test(arguments: [false, true])
    func localJobsResumeWithTheirEngine(killed: Bool) async throws {
        let weights = Fixtures.models.appendingPathComponent("taesd_random.safetensors").path
        let tiny = BackendIdentity.local(LocalEngineSpec(engine: .tiny, weights: weights))
        let journal = try journalUnfinished(
            [try job("tiny", backend: tiny, seed: 3), try job("approx", backend: .local(.approx), seed: 4)], killedMidFlight: killed)
        let statuses = try await resume(journal)
        #expect(statuses.map(\.name) == ["tiny", "approx"])
        #expect(statuses.map(\.engine) == ["tiny", "approx"])
        // The restored job's pixels are the tiny decoder's, not latent2rgb's.
        let saved = try LatentFile.read(contentsOf: URL(fileURLWithPath: try #require(statuses[0].outputs.first))).latent().tensor
        let expected = try TinyVAEEngine(location: VAELocation.resolve(weights)).decode(
            try latent(seed: 3).converted(to: .float32).mapValues { $0 / Float(Preset.sd15.scalingFactor) }, preset: .sd15)
        #expect(saved.shape == expected.shape)
        let difference = zip(saved.floatValues(), expected.converted(to: .float16).floatValues()).map { abs($0 - $1) }.max() ?? 1
        #expect(difference == 0)
    }

    @Test func finishedJobsComeBackListedNotRerun() async throws {
        let journal = JobJournal(directory: try temporaryDirectory())
        let finished = try job("old", backend: .remote(endpoints: ["http://127.0.0.1:9/"]))
        try journal.record(finished)
        var status = JobStatus(job: finished)
        status.state = .failed
        status.failure = .endpoint("HTTP 503", retryable: true)
        try journal.update(status, job: finished)
        let statuses = try await resume(journal)
        #expect(statuses.count == 1 && statuses[0].state == .failed)
        #expect(statuses[0].failure == .endpoint("HTTP 503", retryable: true))
    }

    @Test func writeFailuresAreAnnouncedOnceAndTheJobStillRuns() async throws {
        let blocker = try temporaryDirectory().appendingPathComponent("file")
        try Data().write(to: blocker)
        let journal = JobJournal(directory: blocker.appendingPathComponent("journal"))
        let queue = DecodeQueue(registry: .standard(), writer: OutputWriter(directory: try temporaryDirectory()), journal: journal)
        let events = await queue.events()
        await queue.submit(try job("a", backend: .local(.approx)))
        await queue.submit(try job("b", backend: .local(.approx)))
        await queue.waitUntilIdle()
        #expect(await queue.allStatuses.map(\.state) == [.done, .done])
        var warnings: [String] = []
        for await event in events {
            if case .journalFailed(let message) = event { warnings.append(message) }
            if case .status(let status) = event, status.name == "b", status.state == .done { break }
        }
        #expect(warnings.count == 1)
        #expect(
            warnings.first
                == "the job journal cannot be written (\(blocker.path) is a file, not a folder); jobs will not resume after quitting")
    }
}

/// A result's kind and size are known from its job, before decoding and after a restore.
@Suite struct ResultGeometryTests {
    func job(_ shape: [Int], _ preset: Preset, height: Int? = nil, width: Int? = nil) throws -> DecodeJob {
        DecodeJob(
            name: "g", source: JobSource(), latent: try seededLatent(shape), preset: preset, backend: .local(.approx),
            options: DecodeOptions(height: height, width: width))
    }

    @Test func fromTheLatentAndItsPreset() throws {
        #expect(try job([1, 4, 64, 48], .sd15).resultGeometry == ResultGeometry(isVideo: false, width: 384, height: 512))
        #expect(try job([1, 16, 3, 32, 32], .hunyuanVideo).resultGeometry == ResultGeometry(isVideo: true, width: 256, height: 256))
        #expect(
            try job([1, 384, 64], .flux, height: 256, width: 384).resultGeometry == ResultGeometry(isVideo: false, width: 384, height: 256))
        #expect(try job([1, 3, 8, 8], .sd15).resultGeometry == nil)
    }

    @Test func aFinishedJobKeepsItThroughTheJournal() throws {
        let journal = JobJournal(directory: try temporaryDirectory())
        let finished = try job([1, 4, 8, 8], .sd15)
        try journal.record(finished)
        var status = JobStatus(job: finished)
        status.state = .done
        try journal.update(status, job: finished)
        let restored = try #require(journal.load().entries.first)
        #expect(restored.job.latent.shape == [0])
        #expect(restored.status.geometry == ResultGeometry(isVideo: false, width: 64, height: 64))
    }
}

/// Restored remote jobs run at their own preset's concurrency, not the backend's default.
@Suite struct RestoredConcurrencyTests {
    @Test func restoredJobsKeepTheirPresetsConcurrency() async throws {
        let gated = GatedBackend(concurrency: 4)
        let journal = JobJournal(directory: try temporaryDirectory())
        var preset = Preset.sd15
        preset.concurrency = 1
        for index in 0..<3 {
            try journal.record(
                DecodeJob(
                    name: "j\(index)", source: JobSource(), latent: try seededLatent([1, 4, 2, 2]), preset: preset,
                    backend: gated.identity, options: DecodeOptions(outputType: .pt)))
        }
        let queue = DecodeQueue(
            registry: BackendRegistry(fixed: [gated]), writer: OutputWriter(directory: try temporaryDirectory()), journal: journal)
        #expect(await queue.restoreJournal() == 0)
        var entered = gated.entered.makeAsyncIterator()
        _ = await entered.next()
        #expect(await queue.allStatuses.map { $0.startedAt != nil } == [true, false, false])
        gated.open()
        await queue.waitUntilIdle()
        #expect(await queue.allStatuses.allSatisfy { $0.state == .done })
    }
}
