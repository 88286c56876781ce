import DecodePipeline
import Foundation
import ImageCodecs
import NativeVAE
import RemoteDecode
import Testing
import VideoTestSupport
import Wire
import Workbench

@testable import LatentKit

/// A video decoded on this machine arrives frame by frame: the job counts frames with an ETA, frame
/// PNGs are on disk while the rest still decode (and stay when the decode fails), and `serve`
/// encodes its MP4 answer from the frames as they come. The engine's gate decides when each frame
/// after the first may come, so none of this depends on timing.
@Suite struct VideoFramesTests {
    /// 3 latent frames of 8×8: 9 frames of 64×64.
    static let shape = [1, 16, 3, 8, 8]

    func job(_ outputType: OutputType, framePNGs: Bool = false, backend: BackendIdentity = .local(.approx)) throws -> DecodeJob {
        DecodeJob(
            name: "clip", source: JobSource(), latent: try seededLatent(Self.shape), preset: .hunyuanVideo, backend: backend,
            options: DecodeOptions(outputType: outputType, framePNGs: framePNGs))
    }

    /// The clip as latent2rgb makes it, converted to images as every answer is.
    func expectedFrames(_ job: DecodeJob) throws -> [RGBImage] {
        let latent = try LocalDecoder.vaeLatent(try job.request(), preset: .hunyuanVideo)
        return try TensorImages.images(from: try Latent2RGBEngine().decode(latent, preset: .hunyuanVideo))
    }

    func queue(_ engine: GatedVideoEngine, directory: URL) -> DecodeQueue {
        DecodeQueue(backends: [LocalBackend(engine: engine)], writer: OutputWriter(directory: directory))
    }

    /// The next status the queue announces that satisfies `condition`, and the frame batches announced before it.
    func next(
        _ events: inout AsyncStream<QueueEvent>.AsyncIterator, where condition: (JobStatus) -> Bool
    ) async -> (status: JobStatus?, batches: [FrameBatch]) {
        var batches: [FrameBatch] = []
        while let event = await events.next() {
            switch event {
            case .frames(_, let batch): batches.append(batch)
            case .status(let status) where condition(status): return (status, batches)
            default: continue
            }
        }
        return (nil, batches)
    }

    @Test func theJobCountsFramesWithAnETAFromTheFirstFrameOn() async throws {
        let engine = GatedVideoEngine()
        let job = try job(.mp4)
        let queue = queue(engine, directory: try temporaryDirectory())
        var events = await queue.events().makeAsyncIterator()
        await queue.submit(job)
        let (first, batches) = await next(&events) { $0.frames != nil }
        #expect(first?.state == .decoding)
        #expect(first?.frames?.done == 1 && first?.frames?.total == 9)
        #expect(first?.frames?.eta != nil, "an ETA once one frame is done")
        // The preview's pixels come before the status that counts them, converted as the result is.
        let expected = try expectedFrames(job)
        #expect(batches.count == 1 && batches.first?.images == [expected[0]])
        engine.open(8)
        let (done, rest) = await next(&events) { $0.state.isFinished }
        #expect(done?.state == .done && done?.frames?.done == 9 && done?.frames?.total == 9)
        #expect(rest.map(\.first) == Array(1..<9))
    }

    @Test func framePNGsAreOnDiskWhileTheRestDecodeWithTheEnginesPixels() async throws {
        let engine = GatedVideoEngine()
        let directory = try temporaryDirectory()
        let job = try job(.mp4, framePNGs: true)
        let expected = try expectedFrames(job)
        let queue = queue(engine, directory: directory)
        var events = await queue.events().makeAsyncIterator()
        await queue.submit(job)
        _ = await next(&events) { $0.frames?.done == 1 }
        let firstFile = directory.appendingPathComponent("clip_f0000.png")
        #expect(try ImageDecoder.decode(Array(Data(contentsOf: firstFile))) == expected[0], "frame 0 is saved before frame 1 decodes")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("clip_f0001.png").path))
        engine.open(8)
        let done = try #require(await next(&events) { $0.state.isFinished }.status)
        #expect(done.state == .done)
        let names = done.outputs.map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(names == (0..<9).map { "clip_f000\($0).png" } + ["clip.mp4", "clip.json"])
        for (index, path) in done.outputs.prefix(9).enumerated() {
            #expect(try ImageDecoder.decode(Array(Data(contentsOf: URL(fileURLWithPath: path)))) == expected[index])
        }
        #expect(try MP4Decoder.frames(of: directory.appendingPathComponent("clip.mp4")).count == 9)
        let sidecar = try JSONDecoder().decode(
            OutputWriter.Sidecar.self, from: Data(contentsOf: directory.appendingPathComponent("clip.json")))
        #expect(sidecar.outputs == names.dropLast().map { $0 })
    }

    @Test func framesWrittenBeforeAFailureStayAndTheErrorSaysHowMany() async throws {
        let engine = GatedVideoEngine(failingAfter: 4)
        engine.open(8)
        let directory = try temporaryDirectory()
        let job = try job(.mp4, framePNGs: true)
        let expected = try expectedFrames(job)
        let queue = queue(engine, directory: directory)
        var events = await queue.events().makeAsyncIterator()
        await queue.submit(job)
        let failed = try #require(await next(&events) { $0.state.isFinished }.status)
        #expect(failed.state == .failed)
        #expect(failed.error?.contains("stopped after 4 frames") == true)
        #expect(failed.error?.contains("4 of 9 frames were written before it failed (clip_f0000.png…clip_f0003.png") == true)
        #expect(failed.outputs.map { URL(fileURLWithPath: $0).lastPathComponent } == (0..<4).map { "clip_f000\($0).png" })
        for (index, path) in failed.outputs.enumerated() {
            #expect(try ImageDecoder.decode(Array(Data(contentsOf: URL(fileURLWithPath: path)))) == expected[index])
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
        #expect(left == (0..<4).map { "clip_f000\($0).png" }, "no MP4 or sidecar of a failed decode")
    }

    @Test func serveEncodesTheMP4FromTheFramesAsTheyCome() async throws {
        let engine = GatedVideoEngine()
        engine.open(8)
        let job = try job(.mp4, backend: .remote(endpoints: []))
        let request = try job.request()
        let (payload, _) = try await withLatenttyServer(engine: engine, preset: .hunyuanVideo) { url in
            try await RemoteClient(sleeper: RecordingSleeper().sleeper).decode(
                request, configuration: RemoteConfiguration(endpoints: [url]))
        }
        guard case .video(let bytes) = payload else {
            Issue.record("expected an MP4, got \(payload)")
            return
        }
        let file = try temporaryDirectory().appendingPathComponent("answer.mp4")
        try Data(bytes).write(to: file)
        let frames = try MP4Decoder.frames(of: file)
        #expect(frames.count == 9 && frames.first?.width == 64 && frames.first?.height == 64)
        // The same frames encoded in one go decode to the same pixels.
        let whole = try temporaryDirectory().appendingPathComponent("whole.mp4")
        try Data(try MP4Encoder.encode(try expectedFrames(job))).write(to: whole)
        #expect(try MP4Decoder.frames(of: whole) == frames)
    }

    @Test func aJobRestoredFromTheJournalStillWritesItsFramePNGs() async throws {
        let journal = JobJournal(directory: try temporaryDirectory())
        try journal.record(try job(.mp4, framePNGs: true))
        let directory = try temporaryDirectory()
        let queue = DecodeQueue(registry: .standard(), writer: OutputWriter(directory: directory), journal: journal)
        #expect(await queue.restoreJournal() == 0)
        await queue.waitUntilIdle()
        let status = try #require(await queue.allStatuses.first)
        #expect(status.state == .done, "\(status.error ?? "")")
        let names = status.outputs.map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(names == (0..<9).map { "clip_f000\($0).png" } + ["clip.mp4", "clip.json"])
    }
}
