import LatentKit
import Testing
import Wire

@testable import LatenttyServer

/// The work a request asks for, from its parameters alone: output pixels × frames × bytes.
@Suite struct ServerWorkEstimateTests {
    @Test func imagesPackedFluxAndVideoGiveTheirOutputShape() throws {
        let batch = try #require(WorkEstimate(DecodeParameters(outputType: .pt, shape: [2, 4, 64, 64], dtype: .float16), preset: .sd15))
        #expect(batch.outputShape == [2, 3, 1, 512, 512] && batch.bytes == 2 * 3 * 512 * 512 * (4 + 2))

        let packed = try #require(
            WorkEstimate(DecodeParameters(shape: [1, 4096, 64], dtype: .bfloat16, height: 1024, width: 1024), preset: .flux))
        #expect(packed.outputShape == [1, 3, 1, 1024, 1024] && packed.bytes == 3 * 1024 * 1024 * (4 + 2))

        let video = try #require(
            WorkEstimate(DecodeParameters(outputType: .mp4, shape: [1, 16, 33, 90, 160], dtype: .float16), preset: .hunyuanVideo))
        #expect(video.outputShape == [1, 3, 129, 720, 1280])

        let uint8 = try #require(
            WorkEstimate(DecodeParameters(outputType: .pt, partialPostprocess: true, shape: [1, 4, 8, 8], dtype: .float32), preset: .sd15))
        #expect(uint8.bytes == 3 * 64 * 64 * (4 + 2))
    }

    @Test func absurdShapesSaturateInsteadOfOverflowing() throws {
        let huge = try #require(WorkEstimate(DecodeParameters(shape: [1 << 20, 4, 1 << 20, 1 << 20], dtype: .float32), preset: .sd15))
        #expect(huge.bytes == .max)
    }

    @Test func shapesThePresetCannotTakeAreLeftToTheDecoder() {
        #expect(WorkEstimate(DecodeParameters(shape: [1, 3, 8, 8], dtype: .float32), preset: .sd15) == nil)
        #expect(WorkEstimate(DecodeParameters(shape: [1, 4095, 64], dtype: .float32, height: 1024, width: 1024), preset: .flux) == nil)
    }
}
