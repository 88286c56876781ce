import Testing

@testable import LatentKit

@Suite struct FluxPackingTests {
    @Test func packAndUnpackMatchTheDiffusersPair() throws {
        let archive = try SafetensorsArchive(
            contentsOf: Fixtures.url("formats/flux_pack_128px.safetensors"))
        let unpacked = try archive.tensor(named: "unpacked")
        let packed = try archive.tensor(named: "packed")
        #expect(try FluxPacking.pack(unpacked) == packed)
        #expect(try FluxPacking.unpack(packed, height: 128, width: 128) == unpacked)
        #expect(try FluxPacking.unpack(packed) == unpacked)
        #expect(
            try FluxPacking.unpack(FluxPacking.pack(unpacked.converted(to: .bfloat16)))
                == unpacked.converted(to: .bfloat16))
    }

    @Test func rectangularImagesNeedTheirSize() throws {
        var generator = TorchGenerator(seed: 1)
        let latent = try generator.randn(shape: [1, 16, 8, 12])
        let packed = try FluxPacking.pack(latent)
        #expect(packed.shape == [1, 24, 64])
        #expect(try FluxPacking.unpack(packed, height: 64, width: 96) == latent)
        #expect(throws: FluxPackingError.sizeNeeded(tokens: 24)) { try FluxPacking.unpack(packed) }
        #expect(throws: FluxPackingError.sizeMismatch(tokens: 24, height: 64, width: 64, expected: 16)) {
            try FluxPacking.unpack(packed, height: 64, width: 64)
        }
        #expect(throws: FluxPackingError.oddSize(height: 3, width: 4)) {
            try FluxPacking.pack(try generator.randn(shape: [1, 16, 3, 4]))
        }
        #expect(throws: FluxPackingError.notPacked(shape: [1, 16, 8, 8])) {
            try FluxPacking.unpack(try generator.randn(shape: [1, 16, 8, 8]))
        }
    }
}
