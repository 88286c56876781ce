import ArgumentParser
import Foundation
import ImageCodecs
import LatentKit
import NativeVAE
import TerminalGraphics

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure local decoding and picture protocols.",
        subcommands: [LocalBench.self, ConvBench.self, GraphicsBench.self])
}

/// A full-size SD v1 decoder, TAESD, the HunyuanVideo VAE or an image encoder, with random weights (the real one's FLOPs
/// and memory), timed on one seeded latent (or image). Run each configuration as its own process so peak RSS belongs to it alone.
struct LocalBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract:
            "Time the full SD v1 decoder, TAESD, the HunyuanVideo VAE or an encoder (random weights) at a size; prints seconds and peak RSS.",
        discussion: "Example: latentty bench local --size 512 --tile off --json   (scripts/bench_local.sh runs the whole table)")

    @Option(
        help:
            "The model: sd (the full SD v1 VAE's decoder), taesd (its tiny decoder), hunyuanvideo (the HunyuanVideo VAE), taehv (its tiny video decoder), sd-encoder or taesd-encoder (encoding one image)."
    )
    var model: BenchModel = .sd

    @Option(help: "Image (or frame) side in pixels, a multiple of 8 (default: 512; 128 for hunyuanvideo; 512 wide, 320 high for taehv).")
    var size: Int?

    @Option(help: "Height in pixels when it differs from the width (default: --size).")
    var height: Int?

    @Option(help: "Width in pixels when it differs from the height (default: --size).")
    var width: Int?

    @Option(help: "Video decoders: latent frames; the clip has 4·(N−1)+1 (default: 3 for hunyuanvideo, 16 for taehv).")
    var frames: Int?

    @Option(help: "taehv: auto (parallel chunks within a memory budget, else streaming), streaming, or parallel.")
    var form: VideoForm = .auto

    @Option(help: "Tiled decode or encode (auto: when an untiled one would need more than 2 GiB).")
    var tile: TileChoice = .off

    @Option(
        help:
            "Timed decodes after one warm-up (primitive creation and weight reorders happen in the warm-up); 0 times the first decode only."
    )
    var repeats: Int = 1

    @Option(help: "Compute precision of the convolutions.")
    var precision: Precision = .f32

    @Option(
        help:
            "Winograd for the 3×3 f32 convolutions: auto (every layer; large transformed weights made on each call), off, or on (all kept)."
    )
    var winograd: WinogradChoice = .auto

    @Flag(
        help:
            "After the timing, also decode in f32 with direct convolutions only (the plainest arithmetic) and report this image's PSNR against it and the largest difference on the [-1, 1] output."
    )
    var compare = false

    @Flag(help: "Print as JSON.")
    var json = false

    @OptionGroup var runtime: NativeRuntimeOptions

    func run() throws {
        let size = size ?? (model == .hunyuanvideo ? 128 : 512)
        let (height, width) = (height ?? (model == .taehv ? 320 : size), width ?? size)
        guard [size, height, width].allSatisfy({ $0 > 0 && $0 % 8 == 0 }) else {
            throw ValidationError("--size, --height and --width must be positive multiples of 8")
        }
        let frames = frames ?? (model == .taehv ? 16 : 3)
        guard frames > 0 else { throw ValidationError("--frames must be positive") }
        if model == .taehv { return try runTAEHV(frames: frames, height: height, width: width) }
        if model == .sdEncoder || model == .taesdEncoder { return try runEncoder(height: height, width: width) }
        if model == .hunyuanvideo, compare || winograd != .auto {
            throw ValidationError("--compare and --winograd are for the image decoders; hunyuanvideo's 3-D convolutions are all Winograd")
        }
        let tiling = tile.mode(maxBytes: ByteSize.twoGiB.bytes)
        runtime.apply(precision: precision)
        let loadStart = Date()
        let engine = try reportingErrors { try makeEngine(tiling: tiling, precision: precision, winograd: winograd.policy) }
        let load = Date().timeIntervalSince(loadStart)
        var generator = TorchGenerator(seed: 13)
        let (preset, shape) =
            model == .hunyuanvideo
            ? (Preset.hunyuanVideo, [1, 16, frames, height / 8, width / 8]) : (Preset.sd15, [1, 4, height / 8, width / 8])
        let latent = preset.toVAESpace(try generator.randn(shape: shape))
        let warmStart = Date()
        let decoded = try reportingErrors { try engine.decode(latent, preset: preset) }
        let first = Date().timeIntervalSince(warmStart)
        var times: [Double] = []
        for _ in 0..<max(0, repeats) {
            let start = Date()
            _ = try reportingErrors { try engine.decode(latent, preset: preset) }
            times.append(Date().timeIntervalSince(start))
        }
        let best = times.min() ?? first
        let peak = Self.peakRSS()
        var comparison: (psnr: Double, maxDifference: Float)?
        if compare {
            let reference = try reportingErrors {
                try makeEngine(tiling: tiling, precision: .f32, winograd: .never).decode(latent, preset: .sd15)
            }
            let psnr = try ImageFitting.psnr(TensorImages.images(from: reference)[0], TensorImages.images(from: decoded)[0]) ?? 0
            let difference = zip(reference.floatValues(), decoded.floatValues()).map { abs($0 - $1) }.max() ?? 0
            comparison = (psnr, difference)
        }
        if json {
            var fields: [String: Any] = [
                "model": model.rawValue, "size": size, "tile": tile.rawValue, "latent_shape": shape, "output_shape": decoded.shape,
                "load_seconds": load, "first_seconds": first,
                "seconds": best, "peak_rss_mb": peak,
                "precision": precision.rawValue, "threads": NativeRuntime.threads, "winograd": winograd.rawValue,
                "computed_in": precision == .bf16 && NativeRuntime.bf16Fallback != nil ? "f32" : precision.rawValue,
            ]
            if let comparison {
                fields["psnr_vs_direct_f32_db"] = comparison.psnr
                fields["max_abs_diff_vs_direct_f32"] = comparison.maxDifference
            }
            printJSONLine(fields)
        } else {
            print(
                String(
                    format: "%@ %@ tile %@ %@: %.2f s (first call %.2f s, engine made in %.2f s), peak RSS %d MB", model.rawValue,
                    decoded.shape.dropFirst().map(String.init).joined(separator: "×"), tile.rawValue, precision.rawValue, best, first, load,
                    peak)
                    + (comparison.map { String(format: "; against direct f32: PSNR %.1f dB, max |Δ| %.2g", $0.psnr, $0.maxDifference) }
                        ?? "")
            )
        }
    }

    /// The engine `--model` names, with random weights; the tiny decoder never tiles.
    func makeEngine(tiling: TilingMode, precision: Precision, winograd: WinogradPolicy) throws -> any DecodeEngine {
        switch model {
        case .sd:
            try AutoencoderKLEngine(
                randomWeights: .standard(latentChannels: 4, postQuantConv: true), tiling: tiling, precision: precision, winograd: winograd)
        case .taesd: try TinyVAEEngine(randomWeights: 4, precision: precision, winograd: winograd)
        case .hunyuanvideo: try HunyuanVideoEngine(randomWeights: .standard, tiling: tiling, precision: precision)
        case .taehv: try TAEHVEngine()
        case .sdEncoder, .taesdEncoder: throw ValidationError("the encoders are timed by runEncoder")
        }
    }

    /// VmHWM from /proc/self/status, in MiB.
    static func peakRSS() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
        else { return -1 }
        let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
        return kilobytes / 1024
    }
}

/// Each 3×3 layer shape of a decoder timed with latentty's Winograd and with oneDNN's direct
/// kernel: the table behind the choice of kernel on this CPU.
struct ConvBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Time each 3×3 layer shape of a decoder with Winograd and with oneDNN's direct kernel.",
        discussion: "Example: latentty bench conv --size 512   (ONEDNN_MAX_CPU_ISA=AVX2 measures the AVX2 kernels on a newer CPU)")

    @Option(help: "Image side in pixels the layers' sizes follow from.")
    var size: Int = 512

    @Option(help: "Decoder: sd (SD v1/SDXL/Flux) or taesd.")
    var model: BenchModel = .sd

    @Option(help: "Timed runs per layer after a warm-up; the fastest counts.")
    var repeats: Int = 3

    @Flag(help: "Print as JSON lines.")
    var json = false

    @OptionGroup var runtime: NativeRuntimeOptions

    func run() throws {
        guard size >= 8, size % 8 == 0 else { throw ValidationError("--size must be a positive multiple of 8") }
        guard model == .sd || model == .taesd else {
            throw ValidationError("bench conv times the image decoders' layers: --model sd or taesd")
        }
        runtime.apply()
        if !json { print("| layer | Winograd | oneDNN direct | kernel | speed-up |\n| --- | --- | --- | --- | --- |") }
        for shape in LayerBenchmark.shapes(model: model.rawValue, size: size) {
            let timing = try reportingErrors {
                try LayerBenchmark.measure(inputs: shape.inputs, outputs: shape.outputs, side: shape.side, repeats: repeats)
            }
            let layer = "\(timing.inputs)→\(timing.outputs) at \(timing.side)²"
            if json {
                printJSONLine([
                    "layer": layer, "winograd_seconds": timing.winogradSeconds, "direct_seconds": timing.directSeconds,
                    "direct_kernel": timing.directKernel, "threads": NativeRuntime.threads,
                ])
            } else {
                print(
                    String(
                        format: "| %@ | %.1f ms | %.1f ms | %@ | %.2f× |", layer, timing.winogradSeconds * 1000,
                        timing.directSeconds * 1000,
                        timing.directKernel, timing.directSeconds / timing.winogradSeconds))
            }
        }
    }
}

/// `bench local --model` and `bench conv --model`: which decoder is timed.
enum BenchModel: String, CaseIterable, ExpressibleByArgument {
    case sd, taesd, hunyuanvideo, taehv
    case sdEncoder = "sd-encoder"
    case taesdEncoder = "taesd-encoder"
}

/// `bench local --winograd`: which 3×3 convolutions use Winograd.
enum WinogradChoice: String, CaseIterable, ExpressibleByArgument {
    case auto, off, on

    var policy: WinogradPolicy {
        switch self {
        case .auto: .automatic
        case .off: .never
        case .on: .always
        }
    }
}
