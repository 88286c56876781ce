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
            """)

    @OptionGroup var presets: PresetOptions

    @Argument(help: "Latent files (safetensors, .latent, .npy, .npz, .pt).")
    var files: [String]

    @Option(help: "Preset id; default: the file's own metadata, else the one its shape suggests.")
    var preset: String?

    @OptionGroup var backend: BackendOptions

    @Option(name: .customLong("output-type"), help: "Output type (default: the preset's).")
    var outputType: OutputType?

    @Option(help: "Image format; jpeg means jpg (default: the preset's).")
    var format: ImageFormat?

    @Option(help: "Output folder.")
    var out: String = "decoded"

    @Option(help: "Jobs in flight at once.")
    var concurrency: Int = 2

    @Option(help: "Tensor to decode when a file holds several.")
    var key: String?

    @Option(help: "diffusion (pipeline output, scaled; the default) or vae (raw VAE latents).")
    var space: LatentSpace?

    @Option(help: "Image height in pixels (packed Flux latents that are not square).")
    var height: Int?

    @Option(help: "Image width in pixels (packed Flux latents that are not square).")
    var width: Int?

    @Option(help: "Seconds a whole request may take.")
    var timeout: Double = 300

    @Option(name: .customLong("connect-timeout"), help: "Seconds to wait for a connection.")
    var connectTimeout: Double = 10

    @Option(help: "Tries per endpoint for 429/502/503/504, resets and timeouts.")
    var attempts: Int = 4

    @Flag(name: .customLong("token-for-all"), help: "Send the Hugging Face token to every endpoint, not only Hugging Face hosts.")
    var tokenForAll = false

    @Option(help: "Record the jobs in this journal folder, as the workbench does (its own: ~/.local/state/latentty/journal).")
    var journal: String?

    @Flag(
        name: .customLong("follow-redirects"),
        help: "Follow an endpoint's redirects to other hosts (those within its own host are always followed).")
    var followRedirects = false

    @Flag(help: "Print one JSON object per job.")
    var json = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one latent file") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
    }

    func run() async throws {
        let catalog = try presets.catalog()
        let requested = try preset.map { try presets.preset($0, in: catalog) }
        let registry = try reportingErrors { try makeRegistry(preset: requested) }
        let jobJournal = journal.map { JobJournal(directory: URL(fileURLWithPath: $0)) }
        jobJournal?.removeStaleTemporaries()
        let queue = DecodeQueue(registry: registry, writer: OutputWriter(directory: URL(fileURLWithPath: out)), journal: jobJournal)
        let reporter = JobReporter(json: json)
        var jobs: [DecodeJob] = []
        var failedToLoad = 0
        for path in files {
            do {
                jobs.append(
                    try JobLoader.job(
                        path: path, key: key, preset: requested, catalog: catalog, backend: identity(for:), outputType: outputType,
                        format: format, space: space, height: height, width: width))
            } catch {
                failedToLoad += 1
                reporter.loadFailed(path: path, error: error)
            }
        }
        for job in jobs { await queue.submit(job) }
        let events = await queue.events()
        let watcher = Task {
            for await event in events {
                if case .status(let status) = event { reporter.observe(status) }
            }
        }
        await queue.waitUntilIdle()
        let statuses = await queue.allStatuses
        watcher.cancel()
        for status in statuses { reporter.finished(status) }
        if failedToLoad > 0 || statuses.contains(where: { $0.state != .done }) { throw ExitCode(1) }
    }

    /// Where a latent of `preset` decodes: this machine, the endpoints given, else the preset's own.
    private func identity(for preset: Preset) throws -> BackendIdentity {
        if backend.local { return .local(backend.engineOptions.spec) }
        let endpoints = backend.endpoint.isEmpty ? preset.endpoints : backend.endpoint
        if endpoints.isEmpty { throw BackendChoiceError.noEndpoint(preset: preset) }
        return .remote(endpoints: endpoints)
    }

    /// Remote backends share these retry, limit and token settings; a local engine is loaded now
    /// (bad weights fail before any job) unless it must be found per preset in the model cache.
    private func makeRegistry(preset: Preset?) throws -> BackendRegistry {
        let configuration = RemoteConfiguration(
            endpoints: [], retry: RetryPolicy(maxAttempts: attempts),
            limits: TransferLimits(connectTimeout: connectTimeout, totalTimeout: timeout),
            token: AccessToken.discover(), tokenForAllEndpoints: tokenForAll, followRedirects: followRedirects)
        let registry = BackendRegistry.standard(remote: configuration, remoteConcurrency: concurrency)
        guard backend.local else { return registry }
        let options = backend.engineOptions
        if options.spec.weights == nil, options.spec.engine != .approx, preset == nil {
            options.runtime.apply()
            registry.register(LocalBackend(spec: options.spec, concurrency: concurrency))
        } else {
            registry.register(LocalBackend(engine: try options.makeEngine(preset: preset), spec: options.spec, concurrency: concurrency))
        }
        return registry
    }
}
