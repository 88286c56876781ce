import ArgumentParser
import Foundation
import ImageCodecs
import LatentKit
import NativeVAE
import RemoteDecode
import Wire

struct EncodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode images (PNG, JPEG) to latents on an endpoint (remote_encode) or on this machine.",
        discussion: """
            Writes one latent per image into --out, in diffusion space ((z − shift) · scaling, what
            `latentty decode` takes): safetensors (tensor `latents`), .npy, or a ComfyUI .latent.
            Images are resized as diffusers' VaeImageProcessor does (Lanczos, sides down to multiples
            of 8), or to --size WxH.
            With --local, --tile, --max-memory and --precision work as for decoding (tiles as diffusers'
            tiled encode), and an image whose header states a size beyond --max-memory is refused before
            its pixels are decoded.
            A file that fails is reported in one line and the others still encode; the exit status is
            then 1.

            Examples:
              latentty encode photo.png --preset sd15 --endpoint http://127.0.0.1:8000/encode
              latentty encode a.png b.jpg --preset sdxl --format latent --out latents/
              latentty encode photo.png --preset flux            (the preset's encode endpoint)
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case safetensors, npy, latent
    }

    @OptionGroup var presets: PresetOptions

    @Argument(help: "Image files (PNG, JPEG).")
    var files: [String]

    @Option(help: "The model the latents are for (scaling, shift, channels, encode endpoint).")
    var preset: String

    @Option(help: "Encode endpoint URL; repeat to spread over several. Without it and --local: the preset's encode endpoints.")
    var endpoint: [String] = []

    @Flag(help: "Encode on this machine instead of an endpoint.")
    var local = false

    @OptionGroup var engineOptions: EngineOptions

    @Option(help: "Resize every image to WxH (multiples of 8) first (default: each side down to a multiple of 8).")
    var size: String?

    @Option(help: "Output file format: safetensors, npy or latent (ComfyUI).")
    var format: Format = .safetensors

    @Option(help: "Output folder.")
    var out: String = "encoded"

    @Option(help: "Images in flight at once to endpoints.")
    var concurrency: Int = 2

    @OptionGroup var remote: RemoteOptions

    @Flag(help: "With --local: draw from the latent distribution (diffusers' latent_dist.sample) instead of taking its mean.")
    var sample = false

    @Option(help: "The seed of --sample's draw, as torch.Generator().manual_seed(N).")
    var seed: UInt64 = 0

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one image file") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if local && !endpoint.isEmpty { throw ValidationError("--local and --endpoint exclude each other") }
        if sample && !local { throw ValidationError("--sample draws on this machine (an endpoint answers the mean): add --local") }
        try BackendOptions.validate(endpoints: endpoint)
        _ = try targetSize
    }

    /// `--size` as pixels, refused unless both sides are multiples of 8 (naming the nearest below).
    var targetSize: (width: Int, height: Int)? {
        get throws {
            guard let size else { return nil }
            let parts = size.lowercased().split(separator: "x").map { Int($0) }
            guard parts.count == 2, let width = parts[0], let height = parts[1], width > 0, height > 0 else {
                throw ValidationError("--size '\(size)' is not WxH, like 512x768")
            }
            guard width >= 8, height >= 8, width % 8 == 0, height % 8 == 0 else {
                let fits = EncoderInput.size(width: max(width, 8), height: max(height, 8))
                throw ValidationError("--size \(width)x\(height): sides must be multiples of 8, such as \(fits.width)x\(fits.height)")
            }
            return (width, height)
        }
    }

    func run() async throws {
        let catalog = try presets.catalog()
        let preset = try presets.preset(self.preset, in: catalog)
        let encoder = try makeEncoder(preset: preset)
        let folder = URL(fileURLWithPath: out)
        try reportingErrors {
            try FileSystemError.accessing(folder, for: .creatingFolder) {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            }
        }
        let job = EncodeJob(
            encoder: encoder, size: try targetSize, folder: folder, format: format.rawValue, preset: preset.id,
            budget: local ? engineOptions.maxMemory : nil)
        // Two inputs with one name would write one output: the later is refused, not lost silently.
        var claimed: [String: String] = [:]
        var results = [EncodeResult?](repeating: nil, count: files.count)
        for (index, path) in files.enumerated() {
            let name = job.outputName(for: path)
            if let earlier = claimed[name] {
                let refused = EncodeResult(
                    file: path, output: nil, shape: nil, via: nil,
                    error: "\(name) is written from \(earlier) in this run; rename one of them".terminalSafe)
                results[index] = refused
                if !json { report(refused) }
            } else {
                claimed[name] = path
            }
        }
        let pending = files.indices.filter { results[$0] == nil }
        // A local encoder uses every core for one image; endpoints take several at once.
        let inFlight = local ? 1 : concurrency
        await withTaskGroup(of: (Int, EncodeResult).self) { group in
            var next = 0
            func start() {
                guard next < pending.count else { return }
                let index = pending[next]
                let path = files[index]
                next += 1
                group.addTask { (index, await job.run(path)) }
            }
            for _ in 0..<inFlight { start() }
            while let (index, result) = await group.next() {
                results[index] = result
                if !json { report(result) }
                start()
            }
        }
        let finished = results.compactMap { $0 }
        if json { try printJSON(finished) }
        if finished.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }

    private func report(_ result: EncodeResult) {
        if let error = result.error {
            printError("\(relativePath(result.file)): \(error)")
        } else if let output = result.output, let shape = result.shape, let via = result.via {
            printLine(
                "\(relativePath(result.file)) → \(relativePath(output))  \(shape.shapeText)\(result.resized.map { "  resized \($0)" } ?? "")  \(via)"
            )
        }
    }

    /// Remote unless --local; a local encoder is made now, so a missing one fails before any file.
    private func makeEncoder(preset: Preset) throws -> ImageEncoder {
        if local {
            return .local(
                try reportingErrors { try engineOptions.makeEncodeEngine(preset: preset) }, preset: preset, sampleSeed: sample ? seed : nil)
        }
        var configuration = remote.configuration
        configuration.endpoints = endpoint.isEmpty ? preset.encodeEndpoints : endpoint
        guard !configuration.endpoints.isEmpty else {
            throw CLIFailure(
                EncodeSetupError(
                    "preset \(preset.id) has no encode endpoint; pass --endpoint URL, --local, or set encode_endpoint in config.toml"))
        }
        return .remote(RemoteClient(), configuration: configuration, preset: preset)
    }
}

/// One line of `encode --json`.
struct EncodeResult: Encodable, Sendable {
    let file: String
    let output: String?
    let shape: [Int]?
    /// The endpoint that answered, or `local`.
    let via: String?
    let error: String?
    /// `37×21 → 32×16` when the image was resized.
    var resized: String? = nil
}

/// What every file of one `encode` run goes through: read, resize, encode, write.
struct EncodeJob: Sendable {
    let encoder: ImageEncoder
    let size: (width: Int, height: Int)?
    let folder: URL
    let format: String
    let preset: String
    /// The memory an image may take on its way to a local encoder.
    let budget: ByteSize?

    func outputName(for path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + "." + format
    }

    /// Never throws: a file that fails is a result with its reason, so the others go on.
    func run(_ path: String) async -> EncodeResult {
        do {
            let input = try EncoderImage.read(path, size: size, budget: budget)
            let (latent, via) = try await encoder.encode(input)
            let output = folder.appendingPathComponent(outputName(for: path))
            try LatentWriter.write(
                latent, to: output, metadata: ["latentty.preset": preset, "latentty.space": LatentSpace.diffusion.rawValue])
            let resized =
                input.wasResized ? "\(input.originalWidth)×\(input.originalHeight) → \(input.image.width)×\(input.image.height)" : nil
            return EncodeResult(file: path, output: output.path, shape: latent.shape, via: via, error: nil, resized: resized)
        } catch {
            return EncodeResult(file: path, output: nil, shape: nil, via: nil, error: String(describing: error).terminalSafe)
        }
    }
}

struct EncodeSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
