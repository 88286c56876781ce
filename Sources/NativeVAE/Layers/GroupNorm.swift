import Foundation

/// A pointer handed to parallel workers that each touch their own part of the buffer.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// GroupNorm (oneDNN 2.6 has none): for batch 1 in NCHW each group's channels are one contiguous
/// slab, normalised with its mean and variance (accumulated in double), then scaled and shifted per
/// channel; SiLU can be fused in the same pass.
struct GroupNorm {
    let swish = Swish()
    let groups: Int
    let epsilon: Float
    let weight: [Float]
    let bias: [Float]

    func callAsFunction(_ input: FeatureMap, silu: Bool, context: DNNL) throws -> FeatureMap {
        var output = normalize(input)
        if silu { try swish.apply(&output, context: context) }
        return output
    }

    private func normalize(_ input: FeatureMap) -> FeatureMap {
        var output = FeatureMap(
            channels: input.channels, height: input.height, width: input.width,
            data: [Float](unsafeUninitializedCapacity: input.data.count) { _, initialized in initialized = input.data.count })
        let perGroup = input.channels / groups
        let plane = input.plane
        let (weight, bias, epsilon) = (self.weight, self.bias, self.epsilon)
        let count = Double(perGroup * plane)
        input.data.withUnsafeBufferPointer { xBuffer in
            output.data.withUnsafeMutableBufferPointer { yBuffer in
                // Groups touch disjoint slabs, so they run on all cores (oneDNN's threads are idle here).
                let x = UnsafeSendable(xBuffer)
                let y = UnsafeSendable(yBuffer)
                DispatchQueue.concurrentPerform(iterations: groups) { g in
                    let x = x.value
                    let y = y.value
                    let start = g * perGroup * plane
                    let end = start + perGroup * plane
                    var sum = 0.0
                    var i = start
                    while i < end {
                        // Float partial sums over short runs vectorise; the runs are added in double.
                        let stop = min(i + 4096, end)
                        var partial: Float = 0
                        for j in i..<stop { partial += x[j] }
                        sum += Double(partial)
                        i = stop
                    }
                    let mean = sum / count
                    let meanF = Float(mean)
                    var squares = 0.0
                    i = start
                    while i < end {
                        let stop = min(i + 4096, end)
                        var partial: Float = 0
                        for j in i..<stop {
                            let d = x[j] - meanF
                            partial += d * d
                        }
                        squares += Double(partial)
                        i = stop
                    }
                    let inverse = Float(1 / (squares / count + Double(epsilon)).squareRoot())
                    let m = Float(mean)
                    for c in (g * perGroup)..<((g + 1) * perGroup) {
                        let scale = weight[c] * inverse
                        let shift = bias[c] - m * weight[c] * inverse
                        let base = c * plane
                        for i in base..<(base + plane) { y[i] = x[i] * scale + shift }
                    }
                }
            }
        }
        return output
    }
}
