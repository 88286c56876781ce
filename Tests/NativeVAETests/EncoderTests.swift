import Foundation
import Testing

@testable import LatentKit
@testable import NativeVAE

/// The oneDNN encoders against diffusers' own encodes (Tests/Fixtures/encode/GENERATE.py, diffusers
/// on CPU). Tolerance: max |Δ| ≤ 1e-4 in f32, as for the decoders (different summation orders).
@Suite struct EncoderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
    static let cases = ["gradient", "noise"]
    /// The fixtures hold VAE-space latents; a preset with factor 1 and no shift leaves them as they are.
    static let identity = Preset(id: "test", name: "test", latentChannels: 4, scalingFactor: 1)

    /// A tensor of one of the encode fixtures: `encode_cases` (GENERATE.py), `encode_tiled`
    /// (GENERATE_TILED.py) or `encode_distributions` (GENERATE_LOGVAR.py).
    static func fixture(_ name: String, in file: String = "encode_cases") throws -> Tensor {
        let archive = try SafetensorsArchive(contentsOf: fixtures.appendingPathComponent("encode/\(file).safetensors"))
        let entry = try #require(archive.entries.first { $0.name == name }, "no \(name) in \(file)")
        return archive.tensor(for: entry)
    }

    /// diffusers' tiled encodes (Tests/Fixtures/encode/GENERATE_TILED.py).
    static func tiledFixture(_ name: String) throws -> Tensor { try fixture(name, in: "encode_tiled") }

    static func maxError(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.floatValues(), b.floatValues()).map { abs($0 - $1) }.max() ?? .infinity
    }

    static func klEngine(
        _ model: String, tiling: TilingMode = .automatic, precision: Precision = .f32
    ) throws -> AutoencoderKLEncoderEngine {
        try AutoencoderKLEncoderEngine(
            location: VAELocation(
                weights: fixtures.appendingPathComponent("models/\(model).safetensors"),
                config: fixtures.appendingPathComponent("models/\(model).config.json")), tiling: tiling, precision: precision)
    }

    static func tinyEngine(_ path: String, tiling: TilingMode = .automatic) throws -> TinyEncoderEngine {
        try TinyEncoderEngine(location: VAELocation(weights: fixtures.appendingPathComponent(path), config: nil), tiling: tiling)
    }

    /// tiny_kl4 has a quant_conv and one downsampling; tiny_kl16 none and two, with two resnets a block.
    @Test(arguments: ["tiny_kl4", "tiny_kl16"], cases)
    func autoencoderKLMeanMatchesDiffusers(model: String, image: String) throws {
        let encoded = try Self.klEngine(model).encode(try Self.fixture("image_\(image)"), preset: Self.identity)
        let expected = try Self.fixture("mean_\(model)_\(image)")
        #expect(encoded.mean.shape == expected.shape)
        let error = Self.maxError(encoded.mean, expected)
        #expect(error <= 1e-4, "max abs error \(error)")
        let logVariance = try #require(encoded.logVariance)
        #expect(logVariance.shape == expected.shape)
        #expect(logVariance.floatValues().allSatisfy { (-30...20).contains($0) })
    }

    /// The seeded draw uses the same noise as torch's generator; what remains is the mean's and
    /// the log-variance's own float noise.
    @Test(arguments: ["tiny_kl4", "tiny_kl16"], cases)
    func samplingMatchesDiffusers(model: String, image: String) throws {
        let encoded = try Self.klEngine(model).encode(try Self.fixture("image_\(image)"), preset: Self.identity)
        let sample = try encoded.sample(seed: 21)
        let expected = try Self.fixture("sample_\(model)_\(image)_seed21")
        #expect(sample.shape == expected.shape)
        let error = Self.maxError(sample, expected)
        #expect(error <= 1e-4, "max abs error \(error)")
    }

    /// Given diffusers' own mean and log-variance, `--sample --seed` is diffusers' draw up to the last
    /// bit of `exp`: the noise is torch's bit for bit, but torch's float `exp` is SLEEF's 1-ulp one,
    /// not glibc's, so under 1 % of the samples differ, by at most 4.8e-7 (measured), far inside what
    /// another seed moves.
    @Test(arguments: ["tiny_kl4", "tiny_kl16"], cases)
    func samplingIsDiffusersDraw(model: String, image: String) throws {
        let distributions = "encode_distributions"
        let encoded = EncodedLatent(
            mean: try Self.fixture("mean_\(model)_\(image)", in: distributions),
            logVariance: try Self.fixture("logvar_\(model)_\(image)", in: distributions))
        let expected = try Self.fixture("sample_\(model)_\(image)_seed21", in: distributions)
        let error = Self.maxError(try encoded.sample(seed: 21), expected)
        #expect(error <= 1e-6, "max abs error \(error)")
        #expect(Self.maxError(try encoded.sample(seed: 22), expected) > 0.1)
    }

    /// Given diffusers' own mean and log-variance, the draw is diffusers' to float rounding.
    @Test func samplingIsTorchsDraw() throws {
        let mean = try Self.fixture("mean_tiny_kl4_noise")
        let logVariance = try Tensor(values: [Float](repeating: -2, count: mean.elementCount), shape: mean.shape)
        let sample = try EncodedLatent(mean: mean, logVariance: logVariance).sample(seed: 21)
        var generator = TorchGenerator(seed: 21)
        let noise = try generator.randn(shape: mean.shape).floatValues()
        let expected = zip(mean.floatValues(), noise).map { $0 + expf(-1) * $1 }
        #expect(sample.floatValues() == expected)
        #expect(try EncodedLatent(mean: mean).sample(seed: 21) == mean)
    }

    @Test(arguments: cases)
    func taesdMatchesDiffusers(image: String) throws {
        let encoded = try Self.tinyEngine("encode/taesd_random.safetensors").encode(
            try Self.fixture("image_\(image)"), preset: Self.identity)
        let expected = try Self.fixture("taesd_\(image)")
        #expect(encoded.mean.shape == expected.shape)
        #expect(encoded.logVariance == nil)
        let error = Self.maxError(encoded.mean, expected)
        #expect(error <= 1e-4, "max abs error \(error)")
    }

    /// TAESD's latents are diffusion-space; the engine hands them back in VAE space.
    @Test func taesdLatentComesBackInVAESpace() throws {
        let preset = Preset(id: "test", name: "test", latentChannels: 4, scalingFactor: 0.5, shiftFactor: 0.25)
        let encoded = try Self.tinyEngine("encode/taesd_random.safetensors").encode(try Self.fixture("image_noise"), preset: preset)
        let expected = try Self.fixture("taesd_noise").mapValues { $0 / 0.5 + 0.25 }
        #expect(Self.maxError(encoded.mean, expected) <= 1e-4)
    }

    /// Single-file (LDM) checkpoints name the encoder `encoder.down.{i}.block.{j}`, `encoder.mid.attn_1.q`, ….
    @Test func singleFileLDMEncoderNamesLoad() throws {
        let archive = try SafetensorsArchive(contentsOf: Self.fixtures.appendingPathComponent("models/tiny_kl4.safetensors"))
        let swaps = [
            ("encoder.mid_block.resnets.0.", "encoder.mid.block_1."), ("encoder.mid_block.resnets.1.", "encoder.mid.block_2."),
            ("encoder.mid_block.attentions.0.group_norm.", "encoder.mid.attn_1.norm."),
            ("encoder.mid_block.attentions.0.to_q.", "encoder.mid.attn_1.q."),
            ("encoder.mid_block.attentions.0.to_k.", "encoder.mid.attn_1.k."),
            ("encoder.mid_block.attentions.0.to_v.", "encoder.mid.attn_1.v."),
            ("encoder.mid_block.attentions.0.to_out.0.", "encoder.mid.attn_1.proj_out."),
            ("encoder.down_blocks.0.resnets.", "encoder.down.0.block."), ("encoder.down_blocks.1.resnets.", "encoder.down.1.block."),
            ("encoder.down_blocks.0.downsamplers.0.", "encoder.down.0.downsample."), ("conv_shortcut", "nin_shortcut"),
            ("encoder.conv_norm_out.", "encoder.norm_out."),
        ]
        let renamed = archive.entries.map { entry in
            NamedTensor(
                name: "first_stage_model." + swaps.reduce(entry.name) { $0.replacingOccurrences(of: $1.0, with: $1.1) },
                tensor: archive.tensor(for: entry))
        }
        #expect(renamed.contains { $0.name == "first_stage_model.encoder.down.0.downsample.conv.weight" })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-encoder-names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("model.safetensors")
        try SafetensorsWriter.encode(renamed).write(to: file)
        let engine = try AutoencoderKLEncoderEngine(
            location: VAELocation(weights: file, config: Self.fixtures.appendingPathComponent("models/tiny_kl4.config.json")))
        let encoded = try engine.encode(try Self.fixture("image_noise"), preset: Self.identity)
        #expect(Self.maxError(encoded.mean, try Self.fixture("mean_tiny_kl4_noise")) <= 1e-4)
    }

    /// madebyollin/taesd's own `taesd_encoder` files name the layers `0.weight`, `1.conv.0.weight`, ….
    @Test func flatTAESDEncoderNamesLoad() throws {
        let archive = try SafetensorsArchive(contentsOf: Self.fixtures.appendingPathComponent("encode/taesd_random.safetensors"))
        let flat = archive.entries.compactMap { entry -> NamedTensor? in
            guard entry.name.hasPrefix("encoder.layers.") else { return nil }
            return NamedTensor(name: String(entry.name.dropFirst("encoder.layers.".count)), tensor: archive.tensor(for: entry))
        }
        #expect(flat.contains { $0.name == "0.weight" })
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-taesd-names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("taesd_encoder.safetensors")
        try SafetensorsWriter.encode(flat).write(to: file)
        let encoded = try TinyEncoderEngine(location: VAELocation(weights: file, config: nil)).encode(
            try Self.fixture("image_noise"), preset: Self.identity)
        #expect(Self.maxError(encoded.mean, try Self.fixture("taesd_noise")) <= 1e-4)
    }

    /// A stride-2 3×3 convolution with padding (before, after) in double: output size
    /// ⌊(size + before + after − 3) / 2⌋ + 1, as PyTorch's.
    static func stridedReference(
        _ input: FeatureMap, weights: [Float], bias: [Float], outChannels: Int, padding: (Int, Int)
    ) -> FeatureMap {
        let (c, h, w) = (input.channels, input.height, input.width)
        let (oh, ow) = ((h + padding.0 + padding.1 - 3) / 2 + 1, (w + padding.0 + padding.1 - 3) / 2 + 1)
        var out = FeatureMap(channels: outChannels, height: oh, width: ow)
        for o in 0..<outChannels {
            for y in 0..<oh {
                for x in 0..<ow {
                    var sum = Double(bias[o])
                    for i in 0..<c {
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let (sy, sx) = (2 * y + ky - padding.0, 2 * x + kx - padding.0)
                                guard sy >= 0, sy < h, sx >= 0, sx < w else { continue }
                                let weight: Float = weights[((o * c + i) * 3 + ky) * 3 + kx]
                                let value: Float = input.data[(i * h + sy) * w + sx]
                                sum += Double(weight) * Double(value)
                            }
                        }
                    }
                    out.data[(o * oh + y) * ow + x] = Float(sum)
                }
            }
        }
        return out
    }

    /// Downsample2D's (0, 1) and TAESD's (1, 1) on odd and even sizes, on oneDNN's direct kernel.
    @Test(arguments: [(0, 1), (1, 1)], [(7, 9), (8, 6)])
    func stridedConvolutionMatchesTheDefinition(padding: (Int, Int), size: (Int, Int)) throws {
        let (c, o) = (16, 8)
        let input = FeatureMap(channels: c, height: size.0, width: size.1, data: LayerTests.values(c * size.0 * size.1, seed: 1))
        let weights = LayerTests.values(o * c * 9, seed: 2, scale: 1 / Float(c * 9).squareRoot())
        let bias = LayerTests.values(o, seed: 3, scale: 0.1)
        let expected = Self.stridedReference(input, weights: weights, bias: bias, outChannels: o, padding: padding)
        let context = try #require(DNNL.shared)
        let output = try context.lock.withLock { _ in
            let layer = Conv2D(
                inChannels: c, outChannels: o, kernel: 3, weights: weights, bias: bias, stride: 2, padding: (padding.0, padding.1))
            return try layer(try Activation(input, type: .f32, context: context), context: context).featureMap(context: context)
        }
        #expect((output.height, output.width) == (expected.height, expected.width))
        #expect(LayerTests.maxError(output, expected) <= 1e-5)
    }

    /// A flat file is the encoder when it has layer 0's weights (the decoder's layer 0, the clamp, has none).
    @Test func flatTAESDNamesTellEncoderFromDecoder() {
        let decoder = WeightStore.canonicalNames(["1.weight": 0, "3.conv.0.weight": 0])
        #expect(Set(decoder.keys) == ["decoder.layers.0.weight", "decoder.layers.2.conv.0.weight"])
        let encoder = WeightStore.canonicalNames(["0.weight": 0, "1.conv.0.weight": 0, "14.bias": 0])
        #expect(Set(encoder.keys) == ["encoder.layers.0.weight", "encoder.layers.1.conv.0.weight", "encoder.layers.14.bias"])
    }

    /// bf16 rounds inputs and weights to 8 bits of mantissa with f32 accumulation, ~0.4 % a layer
    /// (below AVX-512 oneDNN has no bf16 convolutions and bf16 runs as f32).
    @Test func bf16StaysCloseToF32() throws {
        let image = try Self.fixture("image_gradient")
        let location = VAELocation(
            weights: Self.fixtures.appendingPathComponent("models/tiny_kl4.safetensors"),
            config: Self.fixtures.appendingPathComponent("models/tiny_kl4.config.json"))
        let f32 = try AutoencoderKLEncoderEngine(location: location).encode(image, preset: Self.identity).mean
        let bf16 = try AutoencoderKLEncoderEngine(location: location, precision: .bf16).encode(image, preset: Self.identity).mean
        let error = Self.maxError(f32, bf16)
        #expect((error > 0) == NativeRuntime.hasNativeBF16, "bf16 must actually run in reduced precision where the CPU can")
        // 0.034 measured with AVX-512 BF16 on the gradient image.
        #expect(error < 0.1, "max abs error \(error)")
    }

    @Test func decoderOnlyAutoencoderKLWeightsAreRefused() throws {
        let archive = try SafetensorsArchive(contentsOf: Self.fixtures.appendingPathComponent("models/tiny_kl4.safetensors"))
        let decoderOnly = archive.entries.filter { !$0.name.hasPrefix("encoder.") && !$0.name.hasPrefix("quant_conv.") }.map {
            NamedTensor(name: $0.name, tensor: archive.tensor(for: $0))
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-decoder-only-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("model.safetensors")
        try SafetensorsWriter.encode(decoderOnly).write(to: file)
        do {
            _ = try AutoencoderKLEncoderEngine(location: VAELocation(weights: file, config: nil))
            Issue.record("decoder-only weights were accepted")
        } catch {
            #expect(String(describing: error).contains("these weights have no encoder"), "\(error)")
        }
    }

    @Test func decoderOnlyWeightsAreRefused() throws {
        do {
            _ = try Self.tinyEngine("models/taesd_random.safetensors")
            Issue.record("a decoder-only TAESD file was accepted")
        } catch {
            #expect(String(describing: error).contains("these weights have no encoder"))
        }
    }

    @Test func sizesTheModelCannotDivideAreRefused() throws {
        let image = try Tensor(values: [Float](repeating: 0, count: 3 * 20 * 34), shape: [1, 3, 20, 34])
        do {
            _ = try Self.klEngine("tiny_kl16").encode(image, preset: Self.identity)
            Issue.record("a 20×34 image was encoded by a 4× encoder")
        } catch {
            #expect(
                String(describing: error)
                    == "the full encoder cannot take this image: it is 20×34 and this model downsamples 4×, so height and width must be multiples of 4 (crop to 20×32 or pad to 20×36)"
            )
        }
    }

    @Test func imagesThatAreNotRGBAreRefused() throws {
        let gray = try Tensor(values: [Float](repeating: 0, count: 64), shape: [1, 1, 8, 8])
        #expect(
            throws: EngineError.unsupportedImage(engine: "tiny", reason: "it takes one or more RGB images [B, 3, H, W], not [1, 1, 8, 8]")
        ) {
            try Self.tinyEngine("encode/taesd_random.safetensors").encode(gray, preset: Self.identity)
        }
    }

    /// Items of a batch are encoded one by one, each as it would be alone.
    @Test func batchesEncodeItemByItem() throws {
        let image = try Self.fixture("image_noise")
        let pair = try Tensor(values: image.floatValues() + image.floatValues().map { -$0 }, shape: [2, 3, 48, 32])
        let engine = try Self.klEngine("tiny_kl4")
        let both = try engine.encode(pair, preset: Self.identity)
        let first = try engine.encode(image, preset: Self.identity)
        #expect(both.mean.shape == [2, 4, 24, 16])
        #expect(Array(both.mean.floatValues().prefix(4 * 24 * 16)) == first.mean.floatValues())
    }

    /// diffusers' `_tiled_encode` with `enable_tiling()`: tiny_kl4 in 32-pixel tiles (the gradient
    /// in 3×4 of them, the noise in 2×1), tiny_kl16 in 64-pixel ones (the gradient in 2×2). Mean and
    /// clamped log-variance within 1e-4 (1e-5 measured), where the untiled encode is ≥ 0.17 away.
    @Test(arguments: [("tiny_kl4", "gradient"), ("tiny_kl4", "noise"), ("tiny_kl16", "gradient")])
    func tiledEncodeMatchesDiffusers(model: String, image: String) throws {
        let encoded = try Self.klEngine(model, tiling: .on).encode(try Self.fixture("image_\(image)"), preset: Self.identity)
        let mean = try Self.tiledFixture("tiled_mean_\(model)_\(image)")
        #expect(encoded.mean.shape == mean.shape)
        let error = Self.maxError(encoded.mean, mean)
        #expect(error <= 1e-4, "mean: max abs error \(error)")
        let logVariance = try #require(encoded.logVariance)
        let logVarianceError = Self.maxError(logVariance, try Self.tiledFixture("tiled_logvar_\(model)_\(image)"))
        #expect(logVarianceError <= 1e-4, "log-variance: max abs error \(logVarianceError)")
        #expect(Self.maxError(mean, try Self.fixture("mean_\(model)_\(image)")) > 0.1, "the tiled fixture must differ from the untiled one")
    }

    /// As `_encode`, `on` tiles only images larger than a tile: tiny_kl16's 64-pixel tile holds the
    /// 32×48 noise image whole.
    @Test func onLeavesImagesWithinATileWhole() throws {
        let encoded = try Self.klEngine("tiny_kl16", tiling: .on).encode(try Self.fixture("image_noise"), preset: Self.identity)
        #expect(Self.maxError(encoded.mean, try Self.fixture("mean_tiny_kl16_noise")) <= 1e-4)
        #expect(!(try Self.klEngine("tiny_kl16", tiling: .on).tiling.shouldTile(height: 48, width: 32)))
    }

    /// `auto` tiles when the untiled estimate (3 planes of 32 f32 channels, 2.4 MB for the 96×64
    /// gradient) is over the budget, and leaves the image whole under a budget it fits.
    @Test func autoTilesUnderASmallBudget() throws {
        let image = try Self.fixture("image_gradient")
        let small = try Self.klEngine("tiny_kl4", tiling: .auto(maxBytes: 1 << 20))
        #expect(small.tiling.estimatedBytes(height: 64, width: 96) == 96 * 64 * 3 * 32 * 4)
        #expect(
            Self.maxError(try small.encode(image, preset: Self.identity).mean, try Self.tiledFixture("tiled_mean_tiny_kl4_gradient"))
                <= 1e-4)
        let large = try Self.klEngine("tiny_kl4", tiling: .auto(maxBytes: 4 << 20))
        #expect(Self.maxError(try large.encode(image, preset: Self.identity).mean, try Self.fixture("mean_tiny_kl4_gradient")) <= 1e-4)
        let off = try Self.klEngine("tiny_kl4", tiling: .off)
        #expect(Self.maxError(try off.encode(image, preset: Self.identity).mean, try Self.fixture("mean_tiny_kl4_gradient")) <= 1e-4)
    }

    /// AutoencoderTiny's `_tiled_encode` of a 64×600 image: 512-pixel tiles at 0 and 448, the second
    /// laid over the first through an 8-cell ramp. Within 1e-4 (1e-7 measured), where the untiled
    /// encode is 1.2e-3 away.
    @Test func taesdTiledEncodeMatchesDiffusers() throws {
        let image = try Self.tiledFixture("image_wide")
        let tiled = try Self.tinyEngine("encode/taesd_random.safetensors", tiling: .on).encode(image, preset: Self.identity)
        let expected = try Self.tiledFixture("taesd_tiled_wide")
        #expect(tiled.mean.shape == expected.shape)
        let error = Self.maxError(tiled.mean, expected)
        #expect(error <= 1e-4, "max abs error \(error)")
        let whole = try Self.tiledFixture("taesd_wide")
        #expect(Self.maxError(expected, whole) > 5e-4, "the tiled fixture must differ from the untiled one")
        let untiled = try Self.tinyEngine("encode/taesd_random.safetensors", tiling: .off).encode(image, preset: Self.identity)
        #expect(Self.maxError(untiled.mean, whole) <= 1e-4)
    }

    /// An untiled encode over the memory free is refused before it starts, naming both sizes; a
    /// tiling mode that would tile it is not.
    @Test func untiledEncodesOverFreeMemoryAreRefused() throws {
        let image = try Self.fixture("image_gradient")
        let off = try Self.klEngine("tiny_kl4", tiling: .off)
        #expect(
            throws: EngineError.unsupportedImage(
                engine: "full",
                reason: "untiled, this 96×64 image needs about 2.2 MB and 1.0 MB are free; encode with --tile on (or auto)")
        ) {
            try checkEncodeMemory(image, engine: "full", tiling: off.tiling, available: 1 << 20)
        }
        try checkEncodeMemory(image, engine: "full", tiling: try Self.klEngine("tiny_kl4", tiling: .on).tiling, available: 1 << 20)
        try checkEncodeMemory(image, engine: "full", tiling: off.tiling, available: 4 << 20)
    }

    /// bf16 against f32 on the tiled path: PSNR over the f32 latent's range, ≥ 40 dB (51 dB measured
    /// with AVX-512 BF16; without it bf16 runs as f32 and the two are equal).
    @Test func bf16TiledEncodeKeepsFortyDecibels() throws {
        let image = try Self.fixture("image_gradient")
        let f32 = try Self.klEngine("tiny_kl4", tiling: .on).encode(image, preset: Self.identity).mean.floatValues()
        let bf16 = try Self.klEngine("tiny_kl4", tiling: .on, precision: .bf16).encode(image, preset: Self.identity).mean.floatValues()
        let range = (f32.max() ?? 0) - (f32.min() ?? 0)
        let squared = zip(f32, bf16).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / Double(f32.count)
        #expect((squared > 0) == NativeRuntime.hasNativeBF16, "bf16 must actually run in reduced precision where the CPU can")
        let psnr = squared == 0 ? Double.infinity : 10 * log10(Double(range * range) / squared)
        #expect(psnr >= 40, "PSNR \(psnr) dB")
    }

    /// The encoder takes the Winograd policy as the decoder does: its 3×3 stride-1 layers run
    /// latentty's Winograd unless the policy is `never`, and the tiled encode stays within 1e-4 of
    /// diffusers either way.
    @Test(arguments: [WinogradPolicy.never, .always])
    func winogradPolicyIsHonoured(policy: WinogradPolicy) throws {
        let weights = try WeightStore.load(Self.fixtures.appendingPathComponent("models/tiny_kl4.safetensors"))
        weights.winograd = policy
        let config = try AutoencoderKLConfig.load(Self.fixtures.appendingPathComponent("models/tiny_kl4.config.json"))
        let conv = try AutoencoderKLEncoder(config: config, weights: weights).downBlocks[0].resnets[0].conv1
        #expect((conv.kernelName(height: 32, width: 32) == "latentty winograd F(4×4,3×3)") == (policy != .never))
        let engine = try AutoencoderKLEncoderEngine(
            location: VAELocation(
                weights: Self.fixtures.appendingPathComponent("models/tiny_kl4.safetensors"),
                config: Self.fixtures.appendingPathComponent("models/tiny_kl4.config.json")), tiling: .on, winograd: policy)
        let encoded = try engine.encode(try Self.fixture("image_gradient"), preset: Self.identity)
        let error = Self.maxError(encoded.mean, try Self.tiledFixture("tiled_mean_tiny_kl4_gradient"))
        #expect(error <= 1e-4, "max abs error \(error)")
    }
}
