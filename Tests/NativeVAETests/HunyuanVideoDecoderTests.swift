import Foundation
import Synchronization
import Testing

@testable import LatentKit
@testable import NativeVAE

/// The HunyuanVideo VAE decoder against diffusers' own outputs (Tests/Fixtures/video, made with
/// diffusers 0.42.1 / PyTorch on CPU from a narrow random-weight model: block_out_channels
/// (8,16,16,16), one resnet per block plus one, 4 norm groups). Tolerance: max |Δ| ≤ 1e-4 on the
/// [-1, 1] output in f32, as for the image decoders. Serialized: the decodes take the oneDNN lock
/// in turn anyway, and tests waiting on it would hold Swift Testing's threads from other suites.
@Suite(.serialized) struct HunyuanVideoDecoderTests {
    static let video = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/video")
    static let model = video.appendingPathComponent("hv_tiny")
    static let location = VAELocation(
        weights: model.appendingPathComponent("diffusion_pytorch_model.safetensors"), config: model.appendingPathComponent("config.json"))

    static func fixture(_ name: String) throws -> Tensor {
        let archive = try SafetensorsArchive(contentsOf: video.appendingPathComponent("hv_tiny_cases.safetensors"))
        guard let entry = archive.entries.first(where: { $0.name == name }) else { throw NativeError.missingTensor(name) }
        return archive.tensor(for: entry)
    }

    static func maxError(_ a: Tensor, _ b: Tensor) -> Float {
        #expect(a.shape == b.shape)
        return zip(a.floatValues(), b.floatValues()).map { abs($0 - $1) }.max() ?? .infinity
    }

    /// The fixture's tiling: 48 px tiles every 32 px for `tiled`, diffusers' defaults otherwise.
    static func engine(_ name: String, precision: Precision = .f32) throws -> HunyuanVideoEngine {
        switch name {
        case "tiled":
            try HunyuanVideoEngine(
                location: location, tiling: .on, precision: precision, layout: VideoTiling(tileSample: 48, strideSample: 32))
        case "whole":
            try HunyuanVideoEngine(location: location, tiling: .off, precision: precision, framewise: false)
        default:
            try HunyuanVideoEngine(location: location, tiling: .off, precision: precision)
        }
    }

    static let preset = Preset.hunyuanVideo

    /// plain: 2 latent frames, no tiling; framewise: 7 frames in diffusers' temporal tiles; whole:
    /// the same 7 frames at once; tiled: 3 frames in 48 px spatial tiles. Frames reach the sink in
    /// order (for framewise, the 13 then 12 frames diffusers keeps of its two tiles) and together
    /// are the returned clip.
    @Test(arguments: ["plain", "framewise", "whole", "tiled"])
    func matchesDiffusers(name: String) throws {
        let latent = try Self.fixture("latent_" + name)
        let expected = try Self.fixture("decoded_" + name)
        let received = Mutex<[DecodedFrames]>([])
        let decoded = try Self.engine(name).decode(latent, preset: Self.preset) { frames in received.withLock { $0.append(frames) } }
        #expect(decoded.shape == expected.shape)
        let error = Self.maxError(decoded, expected)
        #expect(error <= 1e-4, "\(name): max abs error \(error)")
        let pieces = received.withLock { $0 }
        if name == "framewise" { #expect(pieces.map(\.count) == [13, 12]) }
        Self.expectInOrder(pieces, clip: decoded)
    }

    static func expectInOrder(_ pieces: [DecodedFrames], clip: Tensor) {
        let total = clip.shape[2]
        #expect(pieces.allSatisfy { $0.total == total && $0.item == 0 })
        #expect(pieces.map(\.first) == pieces.indices.map { i in pieces[..<i].map(\.count).reduce(0, +) })
        #expect(pieces.map(\.count).reduce(0, +) == total)
        let plane = clip.shape[3] * clip.shape[4]
        let values = clip.floatValues()
        for piece in pieces {
            let frames = piece.pixels.floatValues()
            let size = piece.count * plane
            for c in 0..<3 {
                let start = (c * total + piece.first) * plane
                #expect(Array(values[start..<(start + size)]) == Array(frames[(c * size)..<((c + 1) * size)]))
            }
        }
    }

    /// bf16 (where the CPU has it) stays ≥ 40 dB PSNR from the f32 decode as 8-bit frames.
    @Test func bf16StaysCloseToF32() throws {
        let latent = try Self.fixture("latent_plain")
        let f32 = try Self.engine("plain").decode(latent, preset: Self.preset)
        let bf16 = try Self.engine("plain", precision: .bf16).decode(latent, preset: Self.preset)
        let error = Self.maxError(f32, bf16)
        #expect((error > 0) == NativeRuntime.hasNativeBF16, "bf16 must actually run in reduced precision where the CPU can")
        let a = f32.floatValues().map { (min(max($0 / 2 + 0.5, 0), 1) * 255).rounded() }
        let b = bf16.floatValues().map { (min(max($0 / 2 + 0.5, 0), 1) * 255).rounded() }
        let mse = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Float(a.count)
        let psnr = mse == 0 ? Float.infinity : 10 * log10(255 * 255 / mse)
        #expect(psnr >= 40, "PSNR \(psnr) dB, max |Δ| \(error)")
    }

    /// Spatial tiling under `auto` follows the memory estimate of the longest piece decoded at once.
    @Test func autoTilingFollowsTheEstimate() throws {
        let layout = VideoTiling(tileSample: 48, strideSample: 32)
        let tight = try HunyuanVideoEngine(location: Self.location, tiling: .auto(maxBytes: 1), precision: .f32, layout: layout)
        let roomy = try HunyuanVideoEngine(location: Self.location, tiling: .auto(maxBytes: 1 << 40), precision: .f32, layout: layout)
        #expect(tight.shouldTile(frames: 3, height: 10, width: 12))
        #expect(!roomy.shouldTile(frames: 3, height: 10, width: 12))
        let estimate = tight.estimatedBytes(frames: 3, height: 10, width: 12)
        let boundary = try HunyuanVideoEngine(
            location: Self.location, tiling: .auto(maxBytes: estimate + tight.weightBytes), precision: .f32, layout: layout)
        #expect(!boundary.shouldTile(frames: 3, height: 10, width: 12))
        #expect(boundary.shouldTile(frames: 4, height: 10, width: 12))
    }

    /// `--tile auto` under a budget a tile of diffusers' size would exceed decodes with smaller tiles
    /// (diffusers' tiled decode with those sizes, exactly) instead of going over it.
    @Test func autoShrinksTilesToFitTheBudget() throws {
        let latent = try Self.fixture("latent_tiled")
        let layout = VideoTiling(tileSample: 128, strideSample: 96)
        let whole = try HunyuanVideoEngine(location: Self.location, tiling: .on, precision: .f32, layout: layout)
        let smallTile = whole.estimatedBytes(frames: 3, height: 8, width: 8)
        #expect(layout.shrunk(toFit: smallTile) { whole.estimatedBytes(frames: 3, height: $0, width: $0) }.tileSample == 64)
        let auto = try HunyuanVideoEngine(
            location: Self.location, tiling: .auto(maxBytes: smallTile + whole.weightBytes), precision: .f32, layout: layout)
        let small = try HunyuanVideoEngine(
            location: Self.location, tiling: .on, precision: .f32, layout: VideoTiling(tileSample: 64, strideSample: 48))
        let decoded = try auto.decode(latent, preset: Self.preset)
        #expect(decoded == (try small.decode(latent, preset: Self.preset)))
        #expect(decoded != (try whole.decode(latent, preset: Self.preset)))
    }

    /// The estimate for the real model: a 17-frame temporal tile of a 320×512 clip is over the
    /// default budget (so `auto` tiles it), a 256 px tile of it within.
    @Test func estimateOfTheRealModel() {
        let estimate = { (frames: Int, height: Int, width: Int) in
            HunyuanVideoDecoder.estimatedBytes(frames: frames, height: height, width: width, config: .standard, precision: .f32)
        }
        #expect(estimate(5, 40, 64) > TilingMode.automatic.budget)
        #expect(estimate(3, 40, 64) > TilingMode.automatic.budget)
        #expect(estimate(3, 32, 32) < TilingMode.automatic.budget)
        #expect(estimate(5, 32, 32) > estimate(3, 32, 32))
        // DESIGN.md: the decoder has about 146 M parameters.
        #expect((140_000_000...150_000_000).contains(HunyuanVideoConfig.standard.decoderParameters))
    }

    /// A clip of one latent frame is one frame; wrong layouts and channel counts are refused.
    @Test func shapesAndRefusals() throws {
        let engine = try Self.engine("plain")
        let single = try Tensor(values: LayerTests.values(16 * 3 * 5, seed: 4), shape: [1, 16, 1, 3, 5])
        #expect(try engine.decode(single, preset: Self.preset).shape == [1, 3, 1, 24, 40])
        let image = try Tensor(values: [Float](repeating: 0, count: 16 * 4 * 4), shape: [1, 16, 4, 4])
        #expect(throws: EngineError.unsupportedLayout(engine: "full", shape: [1, 16, 4, 4])) {
            try engine.decode(image, preset: Self.preset)
        }
        let eight = try Tensor(values: [Float](repeating: 0, count: 8 * 2 * 4 * 4), shape: [1, 8, 2, 4, 4])
        #expect(throws: EngineError.unsupportedChannels(engine: "full", channels: 8)) { try engine.decode(eight, preset: Self.preset) }
    }
}

extension TilingMode {
    var budget: Int {
        if case .auto(let maxBytes) = self { return maxBytes }
        return 0
    }
}
