import Foundation

/// `torch.Generator("cpu").manual_seed(seed)` and `torch.randn` on it, bit-exact on x86 CPUs:
/// the same MT19937 stream, the same uniform construction, the same vectorised Box–Muller with
/// PyTorch's own log/sin/cos approximations, and the same tail handling.
public struct TorchGenerator: Sendable {
    private var engine: MersenneTwister
    private var cachedNormal: Double?

    public init(seed: UInt64) {
        engine = MersenneTwister(seed: seed)
    }

    /// `at::uniform_real_distribution<float>(0, 1)`: 24 random bits scaled by 2⁻²⁴.
    private mutating func uniformFloat() -> Float {
        Float(engine.next() & 0x00FF_FFFF) * Float(1.0 / 16_777_216.0)
    }

    /// `at::uniform_real_distribution<double>(0, 1)` over `random64()` (first draw is the high word).
    private mutating func uniformDouble() -> Double {
        let high = UInt64(engine.next())
        let low = UInt64(engine.next())
        return Double((high << 32 | low) & ((1 << 53) - 1)) * 0x1p-53
    }

    /// `at::normal_distribution<double>` with its cached second sample, used for tensors under 16 elements.
    private mutating func normalDouble() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = uniformDouble()
        let u2 = uniformDouble()
        let radius = (-2.0 * log1p(-u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        cachedNormal = radius * sin(theta)
        return radius * cos(theta)
    }

    /// Standard normal samples, as `torch.randn(count, generator=g)` fills a contiguous float32 tensor.
    public mutating func normalFloats(count: Int) -> [Float] {
        guard count >= 16 else {
            return (0..<count).map { _ in Float(normalDouble()) }
        }
        var data = [Float](repeating: 0, count: count)
        for i in 0..<count { data[i] = uniformFloat() }
        data.withUnsafeMutableBufferPointer { buffer in
            var start = 0
            while start + 16 <= count {
                Self.boxMuller16(buffer, at: start)
                start += 16
            }
            if count % 16 != 0 {
                // PyTorch recomputes the last 16 positions from 16 fresh uniforms.
                let tail = count - 16
                for i in 0..<16 { buffer[tail + i] = uniformFloat() }
                Self.boxMuller16(buffer, at: tail)
            }
        }
        return data
    }

    private static let twoPi = Float(2.0 * Double.pi)

    @inline(__always)
    private static func boxMuller16(_ data: UnsafeMutableBufferPointer<Float>, at start: Int) {
        for j in 0..<8 {
            let u1 = 1 - data[start + j]
            let u2 = data[start + j + 8]
            let radius = (-2 * CephesMath.log(u1)).squareRoot()
            let theta = twoPi * u2
            let (sine, cosine) = CephesMath.sincos(theta)
            data[start + j] = radius * cosine
            data[start + j + 8] = radius * sine
        }
    }

    /// `torch.randn(shape, generator=g, dtype=dtype)`. Half types are the float32 draw rounded to nearest-even.
    public mutating func randn(shape: [Int], dtype: DType = .float32) throws(TensorError) -> Tensor {
        guard dtype.isFloatingPoint else { throw .notFloatingPoint(dtype) }
        guard let count = shapeElementCount(shape) else { throw .invalidShape(shape) }
        return try Tensor(values: normalFloats(count: count), shape: shape, dtype: dtype)
    }
}
