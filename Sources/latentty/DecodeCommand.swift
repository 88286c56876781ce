import ArgumentParser
import Foundation
import LatentKit
import NativeVAE
import RemoteDecode
import Workbench

struct DecodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode latent files on an endpoint or on this machine.",
        discussion: """
            Prints one line per job as it finishes (or JSON lines with --json) and exits non-zero if any
            job failed; finished results stay on disk whatever happens to the others.

            Examples:
              latentty decode Samples/sd15_512_seed13.safetensors --preset sd15 --endpoint http://127.0.0.1:8000/
              latentty decode a.pt b.npy --preset sdxl --output-type pt --format png --out decoded/ --concurrency 4
              latentty decode Samples/sd15_512_seed13.safetensors --local --engine approx
              latentty decode Samples/*.safetensors --local --engine tiny --show
              latentty decode clip.safetensors --preset hunyuanvideo --local --engine tiny --output-type mp4 --frames-png
            """)

    @OptionGroup var presets: PresetOptions

    @Argument(help: "Latent files (safetensors, .latent, .npy, .npz, .pt).")
    var files: [String]

    @OptionGroup var latent: LatentOptions

    @OptionGroup var backend: BackendOptions

    @Option(name: .customLong("output-type"), help: "Output type (default: the preset's).")
    var outputType: OutputType?

    @Option(help: "Image format; jpeg means jpg (default: the preset's).")
    var format: ImageFormat?

    @Flag(
        name: .customLong("frames-png"),
        help:
            "For video, also save every frame as <name>_f0000.png…, written as it is decoded on this machine (kept if the decode fails later)."
    )
    var framesPNG = false

    @Option(help: "Output folder.")
    var out: String = "decoded"

    @Option(help: "Jobs in flight at once.")
    var concurrency: Int = 2

    @Option(help: "Image height in pixels (packed Flux latents that are not square).")
    var height: Int?

    @Option(help: "Image width in pixels (packed Flux latents that are not square).")
    var width: Int?

    @OptionGroup var remote: RemoteOptions

    @Option(help: "Record the jobs in this journal folder, as the workbench does (its own: ~/.local/state/latentty/journal).")
    var journal: String?

    @Flag(help: "Print one JSON object per job.")
    var json = false

    @Flag(help: "Show each result in the terminal as it finishes, as `latentty show` would (sized to the terminal).")
    var show = false

    @OptionGroup var graphicsOptions: GraphicsOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one latent file") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if show && json { throw ValidationError("--show prints pictures where --json prints its lines; choose one") }
        if !show && graphicsOptions.graphics != nil { throw ValidationError("--graphics is for --show") }
    }

    func run() async throws {
        let catalog = try presets.catalog()
        let requested = try latent.preset.map { try presets.preset($0, in: catalog) }
        let registry = try reportingErrors {
            try backend.choice.makeRegistry(remote: remote, preset: requested, concurrency: concurrency)
        }
        let jobJournal = journal.map { JobJournal(directory: URL(fileURLWithPath: $0)) }
        jobJournal?.removeStaleTemporaries()
        let queue = DecodeQueue(registry: registry, writer: OutputWriter(directory: URL(fileURLWithPath: out)), journal: jobJournal)
        let reporter = JobReporter(json: json, showsFrames: !json && isatty(STDERR_FILENO) == 1)
        var jobs: [DecodeJob] = []
        var failedToLoad = 0
        for path in files {
            do {
                var job = try JobLoader.job(
                    path: path, key: latent.key, preset: requested, catalog: catalog,
                    backend: backend.choice.identity(for:), outputType: outputType,
                    format: format, space: latent.space, height: height, width: width)
                job.options.framePNGs = framesPNG
                jobs.append(job)
            } catch {
                failedToLoad += 1
                reporter.loadFailed(path: path, error: error)
            }
        }
        for job in jobs { await queue.submit(job) }
        var shown = Set<UUID>()
        let pictures = show ? PictureShow(choice: try graphicsOptions.choice(configFile: presets.configFile), captions: true) : nil
        for await status in Self.statusesUntilIdle(of: queue) {
            reporter.observe(status)
            if let pictures, status.state == .done, shown.insert(status.id).inserted { await Self.display(status, on: pictures) }
        }
        let statuses = await queue.allStatuses
        if let pictures {
            // A status the stream had not passed on by the time the queue went idle.
            for status in statuses where status.state == .done && shown.insert(status.id).inserted {
                await Self.display(status, on: pictures)
            }
            pictures.finish()
        }
        for status in statuses { reporter.finished(status) }
        if failedToLoad > 0 || statuses.contains(where: { $0.state != .done }) { throw ExitCode(1) }
    }

    /// The queue's job statuses as they change, ending once no job is queued or running.
    private static func statusesUntilIdle(of queue: DecodeQueue) -> AsyncStream<JobStatus> {
        let (stream, continuation) = AsyncStream<JobStatus>.makeStream()
        let forwarder = Task {
            for await event in await queue.events() {
                if case .status(let status) = event { continuation.yield(status) }
            }
        }
        Task {
            await queue.waitUntilIdle()
            forwarder.cancel()
            continuation.finish()
        }
        return stream
    }

    /// A finished job's result, read back from the files just written.
    private static func display(_ status: JobStatus, on pictures: PictureShow) async {
        let caption = status.outputs.first { !$0.hasSuffix(".json") }.map(relativePath) ?? status.name
        do {
            try await pictures.show(try ResultFrames.read(outputs: status.outputs), caption: caption)
        } catch {
            printError("cannot show \(caption): \(error)")
        }
    }
}
