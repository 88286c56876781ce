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

    @OptionGroup var remote: RemoteOptions

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one image file") }
        if local && !endpoint.isEmpty { throw ValidationError("--local and --endpoint exclude each other") }
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
        let size = try targetSize
        var results: [EncodeResult] = []
        for path in files {
            let result: EncodeResult
            do {
                let input = try ImageInput.read(path, size: size)
                let (latent, via) = try await encoder.encode(input)
                let output = folder.appendingPathComponent(
                    URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent + "." + format.rawValue)
                try LatentWriter.write(
                    latent, to: output, metadata: ["latentty.preset": preset.id, "latentty.space": LatentSpace.diffusion.rawValue])
                result = EncodeResult(file: path, output: output.path, shape: latent.shape, via: via, error: nil)
                let resized =
                    input.resizedFrom.map { "  resized \($0.width)×\($0.height) → \(input.image.width)×\(input.image.height)" } ?? ""
                if !json { printLine("\(relativePath(path)) → \(relativePath(output.path))  \(latent.shape.shapeText)\(resized)  \(via)") }
            } catch {
                let reason = String(describing: error).terminalSafe
                result = EncodeResult(file: path, output: nil, shape: nil, via: nil, error: reason)
                if !json { printError("\(relativePath(path)): \(reason)") }
            }
            results.append(result)
        }
        if json { try printJSON(results) }
        if results.contains(where: { $0.error != nil }) { throw ExitCode(1) }
    }

    /// Remote unless --local; a local encoder is made now, so a missing one fails before any file.
    private func makeEncoder(preset: Preset) throws -> ImageEncoder {
        if local {
            return .local(try reportingErrors { try engineOptions.makeEncodeEngine(preset: preset) }, preset: preset)
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
struct EncodeResult: Encodable {
    let file: String
    let output: String?
    let shape: [Int]?
    /// The endpoint that answered, or `local`.
    let via: String?
    let error: String?
}

struct EncodeSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
