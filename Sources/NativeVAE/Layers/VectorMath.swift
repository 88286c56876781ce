/// Eight floats at a time, for the element-wise passes written in Swift (GroupNorm's scale and
/// shift with SiLU); libm's scalar `expf` per element would cost more than the convolutions around it.
enum VectorMath {
    /// e^x, Cephes' `expf` method: x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so
    /// n·ln 2 is exact), e^r by its degree-7 minimax polynomial, then scaled by 2ⁿ through the
    /// exponent bits. Within 1 ulp of the exact value (0.93 at worst, measured against double
    /// precision every 1/1000 over ±200) wherever e^x is a normal float;
    /// below that it underflows gradually to 0, above ln(Float.greatestFiniteMagnitude) it is +∞,
    /// never NaN for a number (tested against Foundation's `exp` over ±200).
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // Past these bounds the answer is already 0 or +∞; clamping keeps n within what the two
        // scale factors below can express. Comparisons and selects, not `clamped`: its
        // `pointwiseMin`/`Max` stay out-of-line scalar loops even in release builds, and NaN
        // compares false, so it passes through.
        let low: Float = -104
        let high: Float = 89
        let x = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        // Round x/ln 2 to nearest with the 1.5·2²³ trick: the sum's low mantissa bits are n
        // (no float-to-int conversion, which has no vector form on baseline x86-64).
        let magic: Float = 12_582_912
        let shifted = x * 1.442_695_04 + magic
        let n = shifted - magic
        var r = x - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * (r * r) + r + 1
        // 2ⁿ as two factors, each a normal float for n in [-150, 128], so results near the
        // overflow and underflow thresholds come out right instead of wrapping the exponent.
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- Int32(bitPattern: magic.bitPattern)
        let half = integer &>> 1
        let first = unsafeBitCast((half &+ 127) &<< 23, to: SIMD8<Float>.self)
        let second = unsafeBitCast((integer &- half &+ 127) &<< 23, to: SIMD8<Float>.self)
        return p * first * second
    }

    /// SiLU, x·σ(x) = x / (1 + e^-x). For very negative x the denominator is large or +∞ and the
    /// quotient goes to -0, so no NaN arises from a finite input.
    @inline(__always)
    static func silu(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x / (1 + exp(-x))
    }
}
