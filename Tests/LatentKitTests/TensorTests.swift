import Foundation
import Testing

@testable import LatentKit

@Suite struct TensorTests {
    @Test func bfloat16RoundsToNearestEvenLikePyTorch() {
        #expect(HalfPrecision.bfloat16Bits(1.0) == 0x3F80)
        // 1 + 2⁻⁸ is exactly halfway between 1 and 1 + 2⁻⁷: ties go to the even mantissa (1.0).
        #expect(HalfPrecision.bfloat16Bits(1 + 0x1p-8) == 0x3F80)
        // 1 + 3·2⁻⁸ is halfway between odd 1 + 2⁻⁷ and even 1 + 2⁻⁶: rounds up.
        #expect(HalfPrecision.bfloat16Bits(1 + 3 * 0x1p-8) == 0x3F82)
        #expect(HalfPrecision.bfloat16Bits(1 + 0x1p-8 + 0x1p-20) == 0x3F81)
        #expect(HalfPrecision.bfloat16Bits(.nan) == 0x7FC0)
        #expect(HalfPrecision.bfloat16Bits(.infinity) == 0x7F80)
        #expect(HalfPrecision.bfloat16Bits(-0.0) == 0x8000)
        #expect(HalfPrecision.bfloat16Bits(Float.greatestFiniteMagnitude) == 0x7F80)
        #expect(HalfPrecision.float(fromBFloat16: 0x4049) == 3.140625)
    }

    @Test func float16RoundsToNearestEvenAndSaturatesToInfinity() {
        #expect(HalfPrecision.float16Bits(1.0) == 0x3C00)
        #expect(HalfPrecision.float16Bits(1 + 0x1p-11) == 0x3C00)
        #expect(HalfPrecision.float16Bits(1 + 3 * 0x1p-11) == 0x3C02)
        #expect(HalfPrecision.float16Bits(65504) == 0x7BFF)
        #expect(HalfPrecision.float16Bits(65520) == 0x7C00)
        #expect(HalfPrecision.float16Bits(0x1p-24) == 0x0001)
        #expect(HalfPrecision.float16Bits(0x1p-26) == 0x0000)
        #expect(HalfPrecision.float(fromFloat16: 0x0001) == 0x1p-24)
    }

    @Test func conversionsRoundTripExactlyWhereTheyCan() throws {
        let values: [Float] = [0, -0.5, 1.5, 3.140625, -2, 0.25]
        let t = try tensor(values, [2, 3])
        for dtype in [DType.float16, .bfloat16] {
            let converted = t.converted(to: dtype)
            #expect(converted.dtype == dtype && converted.bytes.count == 12)
            #expect(converted.floatValues() == values)
            #expect(converted.converted(to: .float32) == t)
        }
        #expect(
            try tensor([-3, 0.4, 0.5, 1.5, 254.5, 300, .nan], [7]).converted(to: .uint8).bytes == [
                0, 0, 0, 2, 254, 255, 0,
            ])
    }

    @Test func byteCountsReadAsPeopleWriteThem() {
        #expect(ByteCount.text(512) == "512 B")
        #expect(ByteCount.text(32 * 1024) == "32.0 KB")
        #expect(ByteCount.text(3 << 19) == "1.5 MB")
        #expect(ByteCount.text(9_234_000_000) == "8.6 GB")
    }

    @Test func constructionChecksByteCounts() {
        #expect(
            throws: TensorError.byteCountMismatch(
                shape: [2, 2], dtype: .float32, expected: 16, actual: 12)
        ) {
            try Tensor(dtype: .float32, shape: [2, 2], bytes: [UInt8](repeating: 0, count: 12))
        }
        #expect(throws: TensorError.invalidShape([Int.max, 4])) {
            try Tensor(dtype: .float32, shape: [Int.max, 4], bytes: [])
        }
        #expect(throws: TensorError.reshapeMismatch(from: [4], to: [3])) {
            try tensor([1, 2, 3, 4], [4]).reshaped([3])
        }
    }

    @Test func statsMatchTorchConventions() throws {
        let stats = try tensor([1, 2, 3, 4, .nan, .infinity], [6]).stats()
        #expect(
            stats.count == 6 && stats.finiteCount == 4 && stats.nanCount == 1 && stats.infCount == 1)
        #expect(stats.min == 1 && stats.max == 4 && stats.mean == 2.5)
        // torch.tensor([1.,2,3,4]).std() == 1.2910 (unbiased)
        #expect(abs(stats.std - 1.2909944487) < 1e-9)
        let channels = try tensor([1, 1, 5, 5, 2, 2, 6, 6], [2, 2, 2]).stats(alongAxis: 1)
        #expect(channels.map(\.mean) == [1.5, 5.5])
    }
}
