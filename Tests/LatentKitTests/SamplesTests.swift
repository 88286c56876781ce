import Foundation
import Testing

@testable import LatentKit

/// The shipped samples and example config stay loadable and are what their README says they are.
@Suite struct SamplesTests {
    static let samples = Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Samples")

    @Test(
        arguments: [
            ("sd15_512_seed13.safetensors", "sd15", 512, 512, nil, false, DType.float16, UInt64(13)),
            ("sd15_512_seed7.npy", "sd15", 512, 512, nil, false, .float32, 7),
            ("sdxl_1024_seed13.safetensors", "sdxl", 1024, 1024, nil, false, .float16, 13),
            ("flux_512_packed_seed13.safetensors", "flux", 512, 512, nil, true, .bfloat16, 13),
            ("hunyuanvideo_256_9f_seed13.safetensors", "hunyuanvideo", 256, 256, 9, false, .float16, 13),
        ] as [(String, String, Int, Int, Int?, Bool, DType, UInt64)])
    func sampleIsTheSeededNoiseItClaims(
        name: String, presetID: String, width: Int, height: Int, frames: Int?, packed: Bool,
        dtype: DType, seed: UInt64
    ) throws {
        let file = try LatentFile.read(contentsOf: Self.samples.appendingPathComponent(name))
        let latent = try file.latent().tensor
        let preset = try #require(PresetCatalog().preset(named: presetID))
        _ = try preset.layout(of: latent.shape, dtype: latent.dtype)
        #expect(Preset.suggestions(for: latent.shape).first?.id == presetID)
        let request = GenerationRequest(
            preset: preset, width: width, height: height, frames: frames, packed: packed)
        #expect(latent == (try request.generate(seed: seed, dtype: dtype)))
    }

    @Test func exampleConfigParses() throws {
        let catalog = try PresetCatalog.load(
            configFile: Self.samples.appendingPathComponent("config.toml"))
        #expect(catalog.ids == ["sd15", "sdxl", "flux", "hunyuanvideo", "my-sdxl", "my-video"])
        #expect(catalog.preset(named: "sd15")?.endpoints == ["http://127.0.0.1:8000/"])
        #expect(catalog.preset(named: "my-video")?.temporalFactor == 4)
    }
}
