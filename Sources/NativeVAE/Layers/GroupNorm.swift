import Foundation

/// GroupNorm (oneDNN 2.6 has none): for batch 1 in NCHW each group's channels are one contiguous
/// slab, normalised with its mean and variance (accumulated in double), then scaled and shifted per
/// channel; SiLU can be fused in the same pass.
struct GroupNorm {
    let groups: Int
    let epsilon: Float
    let weight: [Float]
    let bias: [Float]

    func callAsFunction(_ input: FeatureMap, silu: Bool) -> FeatureMap {
        var output = input
        let perGroup = input.channels / groups
        let plane = input.plane
        let count = Double(perGroup * plane)
        input.data.withUnsafeBufferPointer { x in
            output.data.withUnsafeMutableBufferPointer { y in
                for g in 0..<groups {
                    let start = g * perGroup * plane
                    let end = start + perGroup * plane
                    var sum = 0.0
                    for i in start..<end { sum += Double(x[i]) }
                    let mean = sum / count
                    var squares = 0.0
                    for i in start..<end {
                        let d = Double(x[i]) - mean
                        squares += d * d
                    }
                    let inverse = Float(1 / (squares / count + Double(epsilon)).squareRoot())
                    let m = Float(mean)
                    for c in (g * perGroup)..<((g + 1) * perGroup) {
                        let scale = weight[c] * inverse
                        let shift = bias[c] - m * weight[c] * inverse
                        let base = c * plane
                        if silu {
                            for i in base..<(base + plane) {
                                let v = x[i] * scale + shift
                                y[i] = v / (1 + expf(-v))
                            }
                        } else {
                            for i in base..<(base + plane) { y[i] = x[i] * scale + shift }
                        }
                    }
                }
            }
        }
        return output
    }
}
