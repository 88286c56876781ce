import Foundation
import Testing

@testable import LatentKit
@testable import NativeVAE

/// The eight-lane exp and SiLU against Foundation's double-precision `exp`, across the whole range
/// where e^x goes from 0 through the subnormals and normals to +∞.
@Suite struct VectorMathTests {
    /// Every 1/1000 over [-200, 200], plus the extremes and the thresholds.
    static let inputs: [Float] =
        (-200_000...200_000).map { Float($0) / 1000 } + [
            -.greatestFiniteMagnitude, .greatestFiniteMagnitude, -.infinity, .infinity, 88.722_83, 88.722_84, -87.336_54, -103.972,
            -103.973, -1e-30, 1e-30, 0, -0,
        ]

    static func lanes(_ values: [Float], _ function: (SIMD8<Float>) -> SIMD8<Float>) -> [Float] {
        stride(from: 0, to: values.count, by: 8).flatMap { start in
            var vector = SIMD8<Float>()
            for i in 0..<min(8, values.count - start) { vector[i] = values[start + i] }
            let result = function(vector)
            return (0..<min(8, values.count - start)).map { result[$0] }
        }
    }

    /// Within 1 ulp where e^x is normal (0.93 at worst here); within a few of the smallest subnormal below; +∞ past
    /// the largest float (or at its very edge, where the last ulp decides).
    @Test func expMatchesFoundation() {
        let results = Self.lanes(Self.inputs, VectorMath.exp)
        var worstUlps: Double = 0
        for (x, y) in zip(Self.inputs, results) {
            let exact = Foundation.exp(Double(x))
            if exact > Double(Float.greatestFiniteMagnitude) * (1 - 1e-6) {
                #expect(y == .infinity || Double(y) >= exact * (1 - 1e-6), "exp(\(x))")
            } else if exact < Double(Float.leastNormalMagnitude) {
                #expect(abs(Double(y) - exact) <= 3 * Double(Float.leastNonzeroMagnitude), "exp(\(x)) = \(y), not \(exact)")
            } else {
                let ulps = abs(Double(y) - exact) / Double(Float(exact).ulp)
                worstUlps = max(worstUlps, ulps)
                #expect(ulps <= 1, "exp(\(x)) = \(y), not \(exact)")
            }
        }
        #expect(worstUlps > 0)
    }

    /// x / (1 + e^-x) in double, within a few parts in 10⁷ (absolutely near 0, where the true value
    /// underflows or the denominator overflows), and never NaN for any number.
    @Test func siluMatchesItsDefinitionAndNeverMakesNaN() {
        let inputs = Self.inputs + [-1e4, 1e4, -1e20, 1e20, -.leastNonzeroMagnitude]
        let results = Self.lanes(inputs, VectorMath.silu)
        for (x, y) in zip(inputs, results) where !x.isInfinite {
            #expect(!y.isNaN, "silu(\(x))")
            let exact = Double(x) / (1 + Foundation.exp(-Double(x)))
            #expect(abs(Double(y) - exact) <= 5e-7 * abs(exact) + 1e-35, "silu(\(x)) = \(y), not \(exact)")
        }
        #expect(Self.lanes([.infinity], VectorMath.silu)[0] == .infinity)
    }

    /// The vector bf16 store rounds exactly as the scalar conversion does (ties to even, carries
    /// into the exponent, infinities, NaN).
    @Test func bf16StoreRoundsLikeTheScalarConversion() {
        var generator = SystemRandomNumberGenerator()
        let special: [UInt32] = [0x3F80_8000, 0x3F81_8000, 0x7F7F_FFFF, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0001, 0x0000_8000, 0x8000_0000]
        let patterns = special + (0..<10_000).map { _ in UInt32.random(in: .min ... .max, using: &generator) }
        for start in stride(from: 0, to: patterns.count - 7, by: 8) {
            let values = SIMD8<Float>((0..<8).map { Float(bitPattern: patterns[start + $0]) })
            var stored = [BFloat16](repeating: BFloat16(0), count: 8)
            stored.withUnsafeMutableBufferPointer { BFloat16.store8(values, $0.baseAddress!) }
            for i in 0..<8 { #expect(stored[i].bits == BFloat16(values[i]).bits, "\(values[i])") }
            let loaded = stored.withUnsafeBufferPointer { BFloat16.load8($0.baseAddress!) }
            for i in 0..<8 { #expect(loaded[i].bitPattern == stored[i].float.bitPattern) }
        }
    }
}
