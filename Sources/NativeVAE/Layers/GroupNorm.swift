import CDNNL

/// A pointer handed to parallel workers that each touch their own part of the buffer.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// GroupNorm, written here because oneDNN 2.6 has none. On channels-last data a group is a run of
/// adjacent channels in every pixel, so each worker sums its pixels per channel (in float over
/// short runs, added up in double), the per-channel sums are folded into group statistics (two
/// passes: mean, then centred squares), and a last pass scales and shifts per channel. SiLU, when
/// asked for, runs after it through oneDNN's vectorised eltwise kernel.
struct GroupNorm {
    let groups: Int
    let epsilon: Float
    let weight: [Float]
    let bias: [Float]
    let swish = Swish()

    /// A normalised copy (the input is still needed, e.g. for a residual).
    func callAsFunction(_ input: borrowing Activation, silu: Bool, context: DNNL) throws -> Activation {
        var output = Activation(channels: input.channels, height: input.height, width: input.width, type: input.type)
        normalize(input, into: &output)
        if silu { try swish.apply(&output, context: context) }
        return output
    }

    /// Normalises in place.
    func apply(_ map: inout Activation, silu: Bool, context: DNNL) throws {
        let source = UnsafeRawPointer(map.pointer)
        normalize(source: source, into: &map)
        if silu { try swish.apply(&map, context: context) }
    }

    private func normalize(_ input: borrowing Activation, into output: inout Activation) {
        normalize(source: UnsafeRawPointer(input.pointer), into: &output)
    }

    /// `source` holds `output`'s shape and type; it may be `output`'s own buffer.
    private func normalize(source: UnsafeRawPointer, into output: inout Activation) {
        switch output.type {
        case .f32: normalize(source.assumingMemoryBound(to: Float.self), output.pointer.assumingMemoryBound(to: Float.self), output)
        case .bf16:
            normalize(source.assumingMemoryBound(to: BFloat16.self), output.pointer.assumingMemoryBound(to: BFloat16.self), output)
        }
    }

    private func normalize<Element: ActivationElement>(
        _ x: UnsafePointer<Element>, _ y: UnsafeMutablePointer<Element>, _ shape: borrowing Activation
    ) {
        let channels = shape.channels
        let perGroup = channels / groups
        let count = Double(perGroup * shape.pixels)
        let ranges = chunkRanges(shape.pixels, minimum: 64)
        let means = groupTotals(x, channels: channels, ranges: ranges, center: nil).map { $0 / count }
        let variances = groupTotals(x, channels: channels, ranges: ranges, center: means).map { $0 / count }
        var scale = [Float](repeating: 0, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            let g = c / perGroup
            let inverse = Float(1 / (variances[g] + Double(epsilon)).squareRoot())
            scale[c] = weight[c] * inverse
            shift[c] = bias[c] - Float(means[g]) * weight[c] * inverse
        }
        let (source, target) = (UnsafeSendable(x), UnsafeSendable(y))
        scale.withUnsafeBufferPointer { scaleBuffer in
            shift.withUnsafeBufferPointer { shiftBuffer in
                let (s, b) = (UnsafeSendable(scaleBuffer.baseAddress!), UnsafeSendable(shiftBuffer.baseAddress!))
                parallelFor(ranges.count) { chunk in
                    let (x, y, s, b) = (source.value, target.value, s.value, b.value)
                    for p in ranges[chunk] {
                        let row = p * channels
                        for c in 0..<channels { y[row + c] = Element(x[row + c].float * s[c] + b[c]) }
                    }
                }
            }
        }
    }

    /// Per group: Σx, or Σ(x − mean)² when `center` gives the group means.
    private func groupTotals<Element: ActivationElement>(
        _ x: UnsafePointer<Element>, channels: Int, ranges: [Range<Int>], center: [Double]?
    ) -> [Double] {
        let perGroup = channels / groups
        let offsets = (0..<channels).map { Float(center?[$0 / perGroup] ?? 0) }
        var partials = [Double](repeating: 0, count: ranges.count * channels)
        let source = UnsafeSendable(x)
        offsets.withUnsafeBufferPointer { offsetBuffer in
            partials.withUnsafeMutableBufferPointer { partialBuffer in
                let (o, totals) = (UnsafeSendable(offsetBuffer.baseAddress!), UnsafeSendable(partialBuffer.baseAddress!))
                let squared = center != nil
                parallelFor(ranges.count) { chunk in
                    let (x, o) = (source.value, o.value)
                    let total = totals.value + chunk * channels
                    let run = UnsafeMutablePointer<Float>.allocate(capacity: channels)
                    defer { run.deallocate() }
                    var p = ranges[chunk].lowerBound
                    while p < ranges[chunk].upperBound {
                        let stop = min(p + 64, ranges[chunk].upperBound)
                        run.initialize(repeating: 0, count: channels)
                        for q in p..<stop {
                            let row = q * channels
                            if squared {
                                for c in 0..<channels {
                                    let d = x[row + c].float - o[c]
                                    run[c] += d * d
                                }
                            } else {
                                for c in 0..<channels { run[c] += x[row + c].float }
                            }
                        }
                        for c in 0..<channels { total[c] += Double(run[c]) }
                        p = stop
                    }
                }
            }
        }
        var groupsTotal = [Double](repeating: 0, count: groups)
        for chunk in 0..<ranges.count {
            for c in 0..<channels { groupsTotal[c / perGroup] += partials[chunk * channels + c] }
        }
        return groupsTotal
    }
}

/// An element type activations are stored in, read and written as Float.
protocol ActivationElement {
    var float: Float { get }
    init(_ value: Float)
}

extension Float: ActivationElement {
    @inline(__always) var float: Float { self }
}

/// bfloat16 as stored by oneDNN: the top half of a float's bits.
struct BFloat16: ActivationElement {
    var bits: UInt16

    @inline(__always) var float: Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Rounded to nearest even, as oneDNN and PyTorch convert.
    @inline(__always) init(_ value: Float) {
        let b = value.bitPattern
        bits = UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }
}
