import CDNNL
import LatentKit

/// A pointer handed to parallel workers that each touch their own part of the buffer.
struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// GroupNorm, written here because oneDNN 2.6 has none. In the activations' layouts a pixel's
/// channels (or a block of them) are adjacent, so work is split into (block, run of pixels)
/// pieces. One pass sums, per channel, the values and their squares taken about a rough group
/// mean from a sample of pixels (so the variance does not cancel away when the mean is large
/// beside the spread), in float over short runs added up in double; the sums fold into group
/// statistics, and a second pass scales and shifts per channel, eight channels at a time, applying
/// SiLU in the same pass when asked (one read and one write of the activation instead of two each).
struct GroupNorm {
    let groups: Int
    let epsilon: Float
    let weight: [Float]
    let bias: [Float]

    /// A normalised copy (the input is still needed, e.g. for a residual).
    func callAsFunction(_ input: borrowing Activation, silu: Bool, context: DNNL) throws -> Activation {
        var output = Activation(channels: input.channels, height: input.height, width: input.width, type: input.type, layout: input.layout)
        normalize(source: UnsafeRawPointer(input.pointer), into: &output, silu: silu, context: context)
        return output
    }

    /// Normalises in place.
    func apply(_ map: inout Activation, silu: Bool, context: DNNL) throws {
        let source = UnsafeRawPointer(map.pointer)
        normalize(source: source, into: &map, silu: silu, context: context)
    }

    /// `source` holds `output`'s shape, type and layout; it may be `output`'s own buffer.
    private func normalize(source: UnsafeRawPointer, into output: inout Activation, silu: Bool, context: DNNL) {
        context.kernels.record(kind: silu ? "group norm + silu" : "group norm", implementation: "latentty", types: output.type.name)
        let pieces = Pieces(output)
        switch output.type {
        case .f32:
            normalize(source.assumingMemoryBound(to: Float.self), output.pointer.assumingMemoryBound(to: Float.self), pieces, silu: silu)
        case .bf16:
            normalize(
                source.assumingMemoryBound(to: BFloat16.self), output.pointer.assumingMemoryBound(to: BFloat16.self), pieces, silu: silu)
        }
    }

    /// The parallel work: every block's pixels cut into runs.
    private struct Pieces {
        let channels: Int
        let block: Int
        let pixels: Int
        let runs: [Range<Int>]

        init(_ map: borrowing Activation) {
            channels = map.channels
            block = map.block
            pixels = map.pixels
            runs = chunkRanges(map.pixels, minimum: 64)
        }

        var count: Int { channels / block * runs.count }

        /// The block, and the element offsets of the piece's first and last pixel.
        func piece(_ index: Int) -> (block: Int, elements: Range<Int>) {
            let (b, r) = index.quotientAndRemainder(dividingBy: runs.count)
            let base = b * pixels
            return (b, (base + runs[r].lowerBound) * block..<(base + runs[r].upperBound) * block)
        }
    }

    private func normalize<Element: ActivationElement>(
        _ x: UnsafePointer<Element>, _ y: UnsafeMutablePointer<Element>, _ pieces: Pieces, silu: Bool
    ) {
        let channels = pieces.channels
        let perGroup = channels / groups
        let count = Double(perGroup * pieces.pixels)
        let (means, variances) = statistics(x, pieces, count: count)
        var scale = [Float](repeating: 0, count: channels)
        var shift = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            let g = c / perGroup
            let inverse = Float(1 / (variances[g] + Double(epsilon)).squareRoot())
            scale[c] = weight[c] * inverse
            shift[c] = bias[c] - Float(means[g]) * weight[c] * inverse
        }
        let (source, target) = (UnsafeSendable(x), UnsafeSendable(y))
        let block = pieces.block
        scale.withUnsafeBufferPointer { scaleBuffer in
            shift.withUnsafeBufferPointer { shiftBuffer in
                let (scales, shifts) = (UnsafeSendable(scaleBuffer.baseAddress!), UnsafeSendable(shiftBuffer.baseAddress!))
                parallelFor(pieces.count) { index in
                    let (b, elements) = pieces.piece(index)
                    let (x, y) = (source.value, target.value)
                    let (s, t) = (scales.value + b * block, shifts.value + b * block)
                    for row in stride(from: elements.lowerBound, to: elements.upperBound, by: block) {
                        scaleAndShift(x + row, y + row, count: block, scales: s, shifts: t, silu: silu)
                    }
                }
            }
        }
    }

    /// y = x·s + t over one pixel's `count` lanes, then SiLU if asked; a block's lanes past a
    /// multiple of eight go through the same vector code, so every lane rounds alike.
    @inline(__always)
    private func scaleAndShift<Element: ActivationElement>(
        _ x: UnsafePointer<Element>, _ y: UnsafeMutablePointer<Element>, count: Int, scales: UnsafePointer<Float>,
        shifts: UnsafePointer<Float>, silu: Bool
    ) {
        var l = 0
        while l + 8 <= count {
            let value = Element.load8(x + l) * Float.load8(scales + l) + Float.load8(shifts + l)
            Element.store8(silu ? VectorMath.silu(value) : value, y + l)
            l += 8
        }
        guard l < count else { return }
        var value = SIMD8<Float>()
        for i in 0..<(count - l) { value[i] = x[l + i].float * scales[l + i] + shifts[l + i] }
        if silu { value = VectorMath.silu(value) }
        for i in 0..<(count - l) { y[l + i] = Element(value[i]) }
    }

    /// Per group: mean and variance, from Σd and Σd² with d = x − (a sample's mean).
    private func statistics<Element: ActivationElement>(_ x: UnsafePointer<Element>, _ pieces: Pieces, count: Double) -> (
        means: [Double], variances: [Double]
    ) {
        let (channels, block) = (pieces.channels, pieces.block)
        let perGroup = channels / groups
        let roughMeans = sampleMeans(x, pieces)
        let offsets = (0..<channels).map { Float(roughMeans[$0 / perGroup]) }
        // Per piece and lane: Σd then Σd².
        var partials = [Double](repeating: 0, count: pieces.count * block * 2)
        let source = UnsafeSendable(x)
        offsets.withUnsafeBufferPointer { offsetBuffer in
            partials.withUnsafeMutableBufferPointer { partialBuffer in
                let (offsetBase, totals) = (UnsafeSendable(offsetBuffer.baseAddress!), UnsafeSendable(partialBuffer.baseAddress!))
                parallelFor(pieces.count) { index in
                    let (b, elements) = pieces.piece(index)
                    let (x, o) = (source.value, offsetBase.value + b * block)
                    let (sums, squares) = (totals.value + index * block * 2, totals.value + index * block * 2 + block)
                    let run = UnsafeMutablePointer<Float>.allocate(capacity: block * 2)
                    defer { run.deallocate() }
                    let runSquares = run + block
                    var start = elements.lowerBound
                    while start < elements.upperBound {
                        let stop = min(start + 64 * block, elements.upperBound)
                        run.initialize(repeating: 0, count: block * 2)
                        for row in stride(from: start, to: stop, by: block) {
                            // Eight lanes at a time (each lane's sums add in the same order as one at a
                            // time, so the statistics are the same numbers); the rest one by one.
                            var l = 0
                            while l + 8 <= block {
                                let d = Element.load8(x + row + l) - Float.load8(o + l)
                                Float.store8(Float.load8(run + l) + d, run + l)
                                Float.store8(Float.load8(runSquares + l) + d * d, runSquares + l)
                                l += 8
                            }
                            while l < block {
                                let d = x[row + l].float - o[l]
                                run[l] += d
                                runSquares[l] += d * d
                                l += 1
                            }
                        }
                        for l in 0..<block {
                            sums[l] += Double(run[l])
                            squares[l] += Double(runSquares[l])
                        }
                        start = stop
                    }
                }
            }
        }
        var sums = [Double](repeating: 0, count: groups)
        var squares = [Double](repeating: 0, count: groups)
        for index in 0..<pieces.count {
            let b = pieces.piece(index).block
            for l in 0..<block {
                let g = (b * block + l) / perGroup
                sums[g] += partials[index * block * 2 + l]
                squares[g] += partials[index * block * 2 + block + l]
            }
        }
        let shifts = sums.map { $0 / count }
        let means = zip(roughMeans, shifts).map { Double(Float($0)) + $1 }
        let variances = zip(squares, shifts).map { max(0, $0 / count - $1 * $1) }
        return (means, variances)
    }

    /// Per group: the mean over the first pixels (up to 256), a stand-in for the true mean.
    private func sampleMeans<Element: ActivationElement>(_ x: UnsafePointer<Element>, _ pieces: Pieces) -> [Double] {
        let (channels, block) = (pieces.channels, pieces.block)
        let perGroup = channels / groups
        let sample = min(pieces.pixels, 256)
        var sums = [Double](repeating: 0, count: groups)
        for c in 0..<channels {
            let base = (c / block) * pieces.pixels * block + c % block
            for p in 0..<sample { sums[c / perGroup] += Double(x[base + p * block].float) }
        }
        return sums.map { $0 / Double(perGroup * sample) }
    }
}

/// An element type activations are stored in, read and written as Float, one or eight at a time
/// (unaligned: a piece may start at any pixel).
protocol ActivationElement {
    var float: Float { get }
    init(_ value: Float)
    static func load8(_ pointer: UnsafePointer<Self>) -> SIMD8<Float>
    static func store8(_ values: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Self>)
}

extension Float: ActivationElement {
    @inline(__always) var float: Float { self }

    @inline(__always) static func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) static func store8(_ values: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: values, as: SIMD8<Float>.self)
    }
}

/// bfloat16 as stored by oneDNN: the top half of a float's bits, rounded to nearest even.
struct BFloat16: ActivationElement {
    var bits: UInt16

    @inline(__always) var float: Float { HalfPrecision.float(fromBFloat16: bits) }

    @inline(__always) init(_ value: Float) { bits = HalfPrecision.bfloat16Bits(value) }

    @inline(__always) static func load8(_ pointer: UnsafePointer<BFloat16>) -> SIMD8<Float> {
        let bits = UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: bits) &<< 16, to: SIMD8<Float>.self)
    }

    /// The same rounding as `init(_:)`, lane by lane: to nearest even, NaN to the quiet NaN.
    @inline(__always) static func store8(_ values: SIMD8<Float>, _ pointer: UnsafeMutablePointer<BFloat16>) {
        let bits = unsafeBitCast(values, to: SIMD8<UInt32>.self)
        let rounded = ((bits &+ (0x7FFF &+ ((bits &>> 16) & 1))) &>> 16).replacing(with: 0x7FC0, where: values .!= values)
        UnsafeMutableRawPointer(pointer).storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: rounded), as: SIMD8<UInt16>.self)
    }
}
