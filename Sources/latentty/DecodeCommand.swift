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

    @Option(help: "Endpoint URL; repeat for failover. Default: the preset's endpoints.")
    var endpoint: [String] = []

    @Flag(help: "Decode on this machine instead of an endpoint.")
    var local = false

    @OptionGroup var engineOptions: EngineOptions

    @Option(name: .customLong("output-type"), help: "pil, pt, pt-uint8 or mp4 (default: the preset's).")
    var outputType: String?

    @Option(help: "Image format: png or jpg (default: the preset's).")
    var format: String?

    @Option(help: "Output folder.")
    var out: String = "decoded"

    @Option(help: "Jobs in flight at once.")
    var concurrency: Int = 2

    @Option(help: "Tensor to decode when a file holds several.")
    var key: String?

    @Option(help: "diffusion (pipeline output, scaled; the default) or vae (raw VAE latents).")
    var space: String?

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

    @Flag(help: "Print one JSON object per job.")
    var json = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one latent file") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if local && !endpoint.isEmpty { throw ValidationError("--local and --endpoint exclude each other") }
        if let outputType, OutputType(rawValue: outputType) == nil {
            throw ValidationError("--output-type must be one of \(OutputType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let format, ImageFormat(rawValue: format == "jpeg" ? "jpg" : format) == nil {
            throw ValidationError("--format must be png or jpg")
        }
        if let space, LatentSpace(rawValue: space) == nil { throw ValidationError("--space must be diffusion or vae") }
        try engineOptions.validate()
    }

    func run() async throws {
        let catalog = try presets.catalog()
        let requested = try preset.map { try presets.preset($0, in: catalog) }
        let backend = try makeBackend(preset: requested, catalog: catalog)
        let queue = DecodeQueue(backends: [backend], writer: OutputWriter(directory: URL(fileURLWithPath: out)))
        let reporter = JobReporter(json: json)
        var failedToLoad = 0
        for path in files {
            do {
                let job = try JobLoader.job(
                    path: path, key: key, preset: requested, catalog: catalog, backend: backend.identity,
                    outputType: outputType.flatMap(OutputType.init(rawValue:)),
                    format: format.flatMap { ImageFormat(rawValue: $0 == "jpeg" ? "jpg" : $0) },
                    space: space.flatMap(LatentSpace.init(rawValue:)), height: height, width: width)
                await queue.submit(job)
            } catch {
                failedToLoad += 1
                reporter.loadFailed(path: path, error: error)
            }
        }
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

    private func makeBackend(preset: Preset?, catalog: PresetCatalog) throws -> any DecodeBackend {
        if local {
            return LocalBackend(engine: try engineOptions.makeEngine(preset: preset), spec: engineOptions.spec, concurrency: concurrency)
        }
        var endpoints = endpoint
        if endpoints.isEmpty {
            guard let preset else {
                throw ValidationError("say where to decode: --endpoint URL, --preset P (to use its endpoints) or --local")
            }
            endpoints = preset.endpoints
        }
        let configuration = RemoteConfiguration(
            endpoints: endpoints, retry: RetryPolicy(maxAttempts: attempts),
            limits: TransferLimits(connectTimeout: connectTimeout, totalTimeout: timeout),
            token: AccessToken.discover(), tokenForAllEndpoints: tokenForAll)
        return RemoteBackend(concurrency: concurrency, configuration: configuration)
    }
}
