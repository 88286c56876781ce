/// Summary statistics of a tensor's finite values, with NaN and ±Inf counted apart.
public struct TensorStats: Sendable, Equatable, Codable {
    public var count: Int
    public var finiteCount: Int
    public var nanCount: Int
    public var infCount: Int
    public var min: Double
    public var max: Double
    public var mean: Double
    /// Unbiased (n − 1) standard deviation, as `torch.std` computes it.
    public var std: Double

    public init(values: some Collection<Float>) {
        var nan = 0
        var inf = 0
        var finite = 0
        var lo = Double.infinity
        var hi = -Double.infinity
        var mean = 0.0
        var m2 = 0.0
        for value in values {
            if value.isNaN {
                nan += 1
                continue
            }
            if value.isInfinite {
                inf += 1
                continue
            }
            let v = Double(value)
            finite += 1
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
            // Welford: stable for the large, nearly-zero-mean tensors latents are.
            let delta = v - mean
            mean += delta / Double(finite)
            m2 += delta * (v - mean)
        }
        self.count = values.count
        self.finiteCount = finite
        self.nanCount = nan
        self.infCount = inf
        self.min = finite > 0 ? lo : .nan
        self.max = finite > 0 ? hi : .nan
        self.mean = finite > 0 ? mean : .nan
        self.std = finite > 1 ? (m2 / Double(finite - 1)).squareRoot() : (finite == 1 ? 0 : .nan)
    }
}

extension Tensor {
    public func stats() -> TensorStats { TensorStats(values: floatValues()) }

    /// Statistics per index of `axis` (the channel axis 1 for NCHW and NCFHW latents).
    public func stats(alongAxis axis: Int) -> [TensorStats] {
        guard axis >= 0, axis < rank else { return [] }
        let values = floatValues()
        let outer = shape[..<axis].reduce(1, *)
        let size = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        return (0..<size).map { index in
            var slice: [Float] = []
            slice.reserveCapacity(outer * inner)
            for o in 0..<outer {
                let start = (o * size + index) * inner
                slice.append(contentsOf: values[start..<(start + inner)])
            }
            return TensorStats(values: slice)
        }
    }
}
