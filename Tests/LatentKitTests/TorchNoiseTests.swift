import Foundation
import Testing

@testable import LatentKit

@Suite struct TorchNoiseTests {
    /// Keys look like `seed13_1x4x64x64_float16`.
    static func parse(_ key: String) -> (seed: UInt64, shape: [Int], dtype: DType)? {
        let parts = key.split(separator: "_")
        guard parts.count == 3, parts[0].hasPrefix("seed"), let seed = UInt64(parts[0].dropFirst(4)),
            let dtype = DType(userName: String(parts[2]))
        else { return nil }
        return (seed, parts[1].split(separator: "x").compactMap { Int($0) }, dtype)
    }

    @Test func everyReferenceTensorIsReproducedBitForBit() throws {
        let archive = try SafetensorsArchive(contentsOf: Fixtures.url("torch_randn_cpu.safetensors"))
        #expect(archive.entries.count == 7)
        for entry in archive.entries {
            let parsed = try #require(Self.parse(entry.name), "\(entry.name)")
            var generator = TorchGenerator(seed: parsed.seed)
            let ours = try generator.randn(shape: parsed.shape, dtype: parsed.dtype)
            let reference = archive.tensor(for: entry)
            #expect(ours.shape == reference.shape && ours.dtype == reference.dtype, "\(entry.name)")
            let mismatches = zip(ours.bytes, reference.bytes).filter { $0 != $1 }.count
            #expect(ours.bytes == reference.bytes, "\(entry.name): \(mismatches) differing bytes")
        }
    }

    @Test func generateMatchesTheDocumentedSD15Case() throws {
        // `latentty generate --preset sd15 --size 512x512 --seed 13 --dtype float16`
        let request = GenerationRequest(preset: .sd15, width: 512, height: 512)
        let ours = try request.generate(seed: 13, dtype: .float16)
        let reference = try SafetensorsArchive(contentsOf: Fixtures.url("torch_randn_cpu.safetensors"))
            .tensor(named: "seed13_1x4x64x64_float16")
        #expect(ours == reference)
    }

    @Test func packedFluxNoiseIsThePackOfTheUnpackedDraw() throws {
        let packed = try GenerationRequest(preset: .flux, width: 1024, height: 1024, packed: true)
            .generate(seed: 13, dtype: .bfloat16)
        #expect(packed.shape == [1, 4096, 64])
        let unpacked = try GenerationRequest(preset: .flux, width: 1024, height: 1024).generate(
            seed: 13, dtype: .bfloat16)
        #expect(unpacked.shape == [1, 16, 128, 128])
        #expect(packed == (try FluxPacking.pack(unpacked)))
    }

    @Test func cephesApproximationsTrackLibm() {
        for i in 1...1000 {
            let u = Float(i) / 1000
            #expect(abs(CephesMath.log(u) - Foundation.log(u)) <= 2e-7 * max(1, abs(Foundation.log(u))))
            let theta = Float(2 * Double.pi) * u
            let (s, c) = CephesMath.sincos(theta)
            #expect(abs(s - Foundation.sin(theta)) < 1e-6 && abs(c - Foundation.cos(theta)) < 1e-6)
        }
        #expect(CephesMath.log(0).isNaN && CephesMath.log(-1).isNaN)
    }

    @Test func seedsAreTruncatedTo32BitsAsTorchDoes() throws {
        var a = TorchGenerator(seed: 7)
        var b = TorchGenerator(seed: 7 + (1 << 32))
        #expect(a.normalFloats(count: 32) == b.normalFloats(count: 32))
    }

    @Test func uint8NoiseIsRefused() {
        var generator = TorchGenerator(seed: 1)
        #expect(throws: TensorError.notFloatingPoint(.uint8)) {
            try generator.randn(shape: [16], dtype: .uint8)
        }
    }
}
