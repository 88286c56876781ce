import DecodePipeline
import Foundation
import ImageCodecs
import Synchronization
import TerminalGraphics
import Testing
import VideoTestSupport

@testable import LatentKit
@testable import LatenttyTUI
@testable import NativeVAE
@testable import Workbench

/// A video decoding on this machine is previewed from its first frame: the events reach the
/// preview store and the state as the app routes them, the painter draws frame 0 while the engine
/// still holds frame 1, playback starts, the job line counts frames, and once the job is done the
/// result read from disk replaces the frames so far.
@Suite struct VideoPreviewTests {
    /// The queue's events routed as the app routes them, with the reducer applying what reaches the inbox.
    final class RoutedEvents {
        let previews = PreviewStore()
        let inbox = Inbox()
        var state = Fixtures.state()
        var events: AsyncStream<QueueEvent>.AsyncIterator

        init(queue: DecodeQueue) async {
            events = await queue.events().makeAsyncIterator()
        }

        /// Routes events until a status satisfying `condition` has been applied.
        func pump(until condition: (JobStatus) -> Bool) async -> JobStatus? {
            while let event = await events.next() {
                WorkbenchWiring.route(event, to: inbox, previews: previews)
                for action in inbox.drain() { _ = Reducer.reduce(&state, action) }
                if case .status(let status) = event, condition(status) { return status }
            }
            return nil
        }
    }

    @Test func theFirstFrameIsShownWhileTheRestDecodeThenTheResultFromDisk() async throws {
        let engine = GatedVideoEngine()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-preview-\(UUID().uuidString)")
        let queue = DecodeQueue(backends: [LocalBackend(engine: engine)], writer: OutputWriter(directory: root))
        var generator = TorchGenerator(seed: 7)
        let job = DecodeJob(
            name: "clip", source: JobSource(seed: 7), latent: try generator.randn(shape: [1, 16, 3, 8, 8], dtype: .float16),
            preset: .hunyuanVideo, backend: .local(.approx), options: DecodeOptions(outputType: .mp4))
        let vaeLatent = try LocalDecoder.vaeLatent(try job.request(), preset: .hunyuanVideo)
        let expected = try TensorImages.images(from: try Latent2RGBEngine().decode(vaeLatent, preset: .hunyuanVideo))
        let bench = await RoutedEvents(queue: queue)
        await queue.submit(job)

        let decoding = try #require(await bench.pump { $0.frames?.done == 1 })
        #expect(decoding.state == .decoding)
        let held = try #require(bench.previews.frames(job.id))
        #expect(held.partial && held.images == [expected[0]], "frame 0 is in the preview store while the job decodes")
        #expect(bench.state.selectedJob?.frames?.done == 1)
        #expect(bench.state.playback.playing, "the frames so far play")
        let line = JobText.progressLine(try #require(bench.state.selectedJob), width: 200)
        #expect(line.contains("decoding 1/9 frames · ETA "))

        let (redraws, redrawn) = AsyncStream<Void>.makeStream()
        var ready = redraws.makeAsyncIterator()
        let written = Mutex<[UInt8]>([])
        let painter = PicturePainter(
            previews: bench.previews, backend: HalfBlockBackend(target: GraphicsTarget(graphics: .blocks, truecolor: true)),
            redraw: { redrawn.yield() }, output: { bytes in written.withLock { $0 += bytes } })
        let placement = ImagePlacement(jobID: job.id, compareWith: nil, frame: 0, rect: Rect(x: 0, y: 0, width: 8, height: 4))
        painter.paint([placement], jobs: bench.state.jobs)
        while painter.showing(at: placement.rect) == nil {
            _ = await ready.next()
            painter.paint([placement], jobs: bench.state.jobs)
        }
        #expect(String(decoding: written.withLock { $0 }, as: UTF8.self).contains("▀"), "frame 0 is drawn before the job is done")

        engine.open(8)
        let done = try #require(await bench.pump { $0.state.isFinished })
        #expect(done.state == .done)
        #expect(bench.previews.frames(job.id)?.images.count == 9, "every frame came while decoding")
        painter.paint([placement], jobs: bench.state.jobs)
        #expect(bench.previews.frames(job.id) != nil, "the frames so far stay while the result is read")
        while bench.previews.frames(job.id)?.partial != false { _ = await ready.next() }
        let result = try #require(bench.previews.frames(job.id))
        #expect(result.error == nil && result.images.count == 9 && result.images[0].width == 64, "the MP4 on disk replaced them")
    }

    @Test func theFrameCountAndETAReadAsAClock() {
        let count = FrameCount(done: 12, total: 61, elapsed: 1.5)
        #expect(count.eta == 1.5 / 12 * 49)
        #expect(count.text == "decoding 12/61 frames · ETA 0:07")
        #expect(FrameCount(done: 0, total: 61, elapsed: 3).eta == nil)
        #expect(FrameCount(done: 1, total: 100, elapsed: 2).text == "decoding 1/100 frames · ETA 3:18")
    }

    @Test func framesBeyondTheCapAreLeftForTheResult() throws {
        let store = PreviewStore()
        let id = UUID()
        let image = try RGBImage(width: 1, height: 1, pixels: [1, 2, 3])
        let limit = PreviewStore.partialFrameLimit
        store.append(id, FrameBatch(first: 0, total: limit + 10, images: Array(repeating: image, count: limit - 1), elapsed: 1))
        store.append(id, FrameBatch(first: limit - 1, total: limit + 10, images: Array(repeating: image, count: 5), elapsed: 2))
        #expect(store.frames(id)?.images.count == limit)
    }
}
