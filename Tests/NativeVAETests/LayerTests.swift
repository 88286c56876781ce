import Foundation
import Testing

@testable import LatentKit
@testable import NativeVAE

/// The oneDNN layers against plain loops computed in double. Standard-normal inputs and weights
/// scaled by 1/√fan-in keep outputs near 1, so f32 direct convolution lands within ~1e-6 and Winograd
/// F(4×4, 3×3) — whose transforms multiply values by up to ±8 and cancel them again — within 1e-4.
@Suite(.serialized) struct LayerTests {
    let context = DNNL.shared!
    static func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var generator = TorchGenerator(seed: seed)
        return (try! generator.randn(shape: [count])).floatValues().map { $0 * scale }
    }

    /// NCHW output of a 3×3 (or 1×1) "same" convolution, in double.
    static func reference(
        _ input: FeatureMap, weights: [Float], bias: [Float], outChannels: Int, kernel: Int
    ) -> FeatureMap {
        let (c, h, w, pad) = (input.channels, input.height, input.width, kernel / 2)
        var out = FeatureMap(channels: outChannels, height: h, width: w)
        for o in 0..<outChannels {
            for y in 0..<h {
                for x in 0..<w {
                    var sum = Double(bias[o])
                    for i in 0..<c {
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let (sy, sx) = (y + ky - pad, x + kx - pad)
                                guard sy >= 0, sy < h, sx >= 0, sx < w else { continue }
                                sum +=
                                    Double(weights[((o * c + i) * kernel + ky) * kernel + kx]) * Double(input.data[(i * h + sy) * w + sx])
                            }
                        }
                    }
                    out.data[(o * h + y) * w + x] = Float(sum)
                }
            }
        }
        return out
    }

    static func upsampled(_ map: FeatureMap) -> FeatureMap {
        var out = FeatureMap(channels: map.channels, height: map.height * 2, width: map.width * 2)
        for c in 0..<map.channels {
            for y in 0..<out.height {
                for x in 0..<out.width {
                    out.data[(c * out.height + y) * out.width + x] = map.data[(c * map.height + y / 2) * map.width + x / 2]
                }
            }
        }
        return out
    }

    static func maxError(_ a: FeatureMap, _ b: FeatureMap) -> Float {
        #expect(a.data.count == b.data.count)
        return zip(a.data, b.data).map { abs($0 - $1) }.max() ?? .infinity
    }

    struct Case {
        let input: FeatureMap
        let weights: [Float]
        let bias: [Float]
        let outChannels: Int

        init(inChannels: Int, outChannels: Int, height: Int, width: Int) {
            input = FeatureMap(
                channels: inChannels, height: height, width: width, data: LayerTests.values(inChannels * height * width, seed: 1))
            weights = LayerTests.values(outChannels * inChannels * 9, seed: 2, scale: 1 / Float(inChannels * 9).squareRoot())
            bias = LayerTests.values(outChannels, seed: 3, scale: 0.1)
            self.outChannels = outChannels
        }

        /// With a scratch budget of one byte, strips of one tile row (no minimum tile count).
        func layer(_ winograd: WinogradPolicy, stripScratchBytes: Int = 16 << 20) -> Conv2D {
            Conv2D(
                inChannels: input.channels, outChannels: outChannels, kernel: 3, weights: weights, bias: bias, winograd: winograd,
                stripScratchBytes: stripScratchBytes, minimumStripTiles: 1)
        }
    }

    @Test(arguments: [WinogradPolicy.never, .always])
    func convolutionMatchesTheDefinition(winograd: WinogradPolicy) throws {
        let test = Case(inChannels: 32, outChannels: 16, height: 14, width: 18)
        let expected = Self.reference(test.input, weights: test.weights, bias: test.bias, outChannels: 16, kernel: 3)
        let (output, kernel) = try context.lock.withLock { _ in
            let input = try Activation(test.input, type: .f32, context: context)
            let layer = test.layer(winograd)
            return (try layer(input, context: context).featureMap(context: context), layer.kernelName(height: 14, width: 18))
        }
        let error = Self.maxError(output, expected)
        #expect(error <= (winograd == .never ? 1e-5 : 1e-4), "max |Δ| \(error)")
        #expect(kernel?.contains("winograd") == (winograd == .always), "\(String(describing: kernel))")
    }

    /// residual ← relu(residual + conv(x)) on oneDNN's direct kernel (the Winograd layer's own
    /// epilogue is in WinogradTests).
    @Test func directAccumulationAndReLUAreFused() throws {
        let test = Case(inChannels: 16, outChannels: 16, height: 12, width: 12)
        let residual = FeatureMap(channels: 16, height: 12, width: 12, data: Self.values(16 * 144, seed: 7))
        var expected = Self.reference(test.input, weights: test.weights, bias: test.bias, outChannels: 16, kernel: 3)
        expected.data = zip(expected.data, residual.data).map { max(0, $0 + $1) }
        let output = try context.lock.withLock { _ in
            let layer = test.layer(.never)
            let input = try Activation(test.input, type: .f32, context: context)
            var sum = try Activation(residual, type: .f32, context: context).converted(to: .f32, layout: .blocked(16), context: context)
            try layer.accumulate(input, into: &sum, relu: true, context: context)
            return try sum.featureMap(context: context)
        }
        #expect(Self.maxError(output, expected) <= 1e-5)
        #expect(output.data.allSatisfy { $0 >= 0 })
    }

    static let groupNormCases: [(ActivationLayout, ElementType, Int, Bool)] = [
        (ActivationLayout.blocked(16), ElementType.f32, 32), (.channelsLast, .f32, 32), (.channelsLast, .f32, 36), (.blocked(8), .f32, 32),
        (.blocked(16), .bf16, 32), (.channelsLast, .bf16, 32), (.channelsLast, .bf16, 36),
    ].flatMap { shape in [false, true].map { (shape.0, shape.1, shape.2, $0) } }

    /// GroupNorm on channels-last and on 8- and 16-channel blocks, f32 and bf16, without and with
    /// the SiLU fused into it, against double arithmetic; 36 channels channels-last leave four
    /// lanes past the last group of eight.
    @Test(arguments: groupNormCases)
    func groupNormMatchesTheDefinition(layout: ActivationLayout, type: ElementType, channels: Int, silu: Bool) throws {
        let (height, width) = (9, 7)
        let groups = channels / 4
        // An offset mean checks that the variance is computed about it, not from raw squares.
        let input = FeatureMap(
            channels: channels, height: height, width: width, data: Self.values(channels * height * width, seed: 9).map { $0 * 3 + 40 })
        let weight = Self.values(channels, seed: 10)
        let bias = Self.values(channels, seed: 11)
        var expected = input
        let perGroup = channels / groups
        let plane = height * width
        for g in 0..<groups {
            let slice = input.data[(g * perGroup * plane)..<((g + 1) * perGroup * plane)].map {
                Double(type == .bf16 ? BFloat16($0).float : $0)
            }
            let mean = slice.reduce(0, +) / Double(slice.count)
            let variance = slice.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(slice.count)
            for c in (g * perGroup)..<((g + 1) * perGroup) {
                for p in 0..<plane {
                    let x = slice[(c - g * perGroup) * plane + p]
                    let y = (x - mean) / (variance + 1e-6).squareRoot() * Double(weight[c]) + Double(bias[c])
                    expected.data[c * plane + p] = Float(silu ? y / (1 + exp(-y)) : y)
                }
            }
        }
        let norm = GroupNorm(groups: groups, epsilon: 1e-6, weight: weight, bias: bias)
        let (copied, inPlace) = try context.lock.withLock { _ in
            var map = try Activation(input, type: .f32, context: context).converted(to: type, layout: layout, context: context)
            let copied = try norm(map, silu: silu, context: context).featureMap(context: context)
            try norm.apply(&map, silu: silu, context: context)
            return (copied, try map.featureMap(context: context))
        }
        // bf16 output keeps 8 bits: |y| ≤ ~4 here, so half an ulp is ≤ 2⁻⁷·4/2.
        let tolerance: Float = type == .f32 ? 1e-4 : 0.02
        #expect(Self.maxError(copied, expected) <= tolerance)
        #expect(copied.data == inPlace.data)
    }

    @Test func upsamplingRepeatsEachPixelTwiceInBothDirections() throws {
        let input = FeatureMap(channels: 32, height: 3, width: 5, data: Self.values(32 * 15, seed: 12))
        for layout in [ActivationLayout.blocked(16), .channelsLast] {
            let output = try context.lock.withLock { _ in
                try Activation(input, type: .f32, context: context).converted(to: .f32, layout: layout, context: context).upsampled()
                    .featureMap(context: context)
            }
            #expect(output.data == Self.upsampled(input).data)
        }
    }

    /// Reuse by size, never more held than the most in use at once, nothing held after a drain.
    @Test func activationPoolRecyclesWithinThePeak() {
        let pool = ActivationPool()
        let a = pool.take(byteCount: 4096)
        let b = pool.take(byteCount: 4096)
        pool.give(a, byteCount: 4096)
        #expect(pool.take(byteCount: 4096) == a)
        pool.give(a, byteCount: 4096)
        pool.give(b, byteCount: 4096)
        #expect(pool.waitingBytes == 8192)
        // 1024 more in use would put in-use plus waiting past the peak (8192): a waiting buffer goes back.
        let c = pool.take(byteCount: 1024)
        #expect(pool.waitingBytes == 4096)
        pool.give(c, byteCount: 1024)
        pool.drain()
        #expect(pool.waitingBytes == 0)
    }
}
