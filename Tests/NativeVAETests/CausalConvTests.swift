import Foundation
import Testing

@testable import NativeVAE

/// The Winograd layer's replicate padding (HunyuanVideo's causal convolutions pad H and W with the
/// edge pixels) against a direct convolution in double, plain and reading a 2× upsampled input, at
/// sizes that are not multiples of the 4×4 tile; same tolerance as `WinogradTests`.
@Suite(.serialized) struct CausalConvTests {
    let context = DNNL.shared!

    /// A 3×3 "same" convolution with edge-replicating padding, in double.
    static func reference(_ input: FeatureMap, weights: [Float], bias: [Float], outChannels: Int) -> FeatureMap {
        let (c, h, w) = (input.channels, input.height, input.width)
        var out = FeatureMap(channels: outChannels, height: h, width: w)
        for o in 0..<outChannels {
            for y in 0..<h {
                for x in 0..<w {
                    var sum = Double(bias[o])
                    for i in 0..<c {
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let sy: Int = min(max(y + ky - 1, 0), h - 1)
                                let sx: Int = min(max(x + kx - 1, 0), w - 1)
                                let weight = Double(weights[((o * c + i) * 3 + ky) * 3 + kx])
                                sum += weight * Double(input.data[(i * h + sy) * w + sx])
                            }
                        }
                    }
                    out.data[(o * h + y) * w + x] = Float(sum)
                }
            }
        }
        return out
    }

    func convolve(_ test: LayerTests.Case, source: FeatureMap, upsampled: Bool) throws -> FeatureMap {
        try context.lock.withLock { _ in
            let layer = WinogradLayer(
                inputs: test.input.channels, outputs: test.outChannels, weights: test.weights, bias: test.bias, operandType: .f32,
                stripScratchBytes: 1, minimumStripTiles: 1)
            let input = try Activation(source, type: .f32, context: context)
            let output = Activation(channels: test.outChannels, height: test.input.height, width: test.input.width, type: .f32)
            try layer.run(
                WinogradLayer.Operands(
                    source: LaneAccess(input), sourceWidth: source.width, height: output.height, width: output.width, upsampled: upsampled,
                    destination: LaneAccess(output), accumulate: false, relu: false, inPlace: false, padding: .replicate),
                keepWeights: false, context: context)
            return try output.featureMap(context: context)
        }
    }

    @Test(arguments: [(1, 1), (5, 7), (9, 13), (1, 17), (12, 8)])
    func replicatePaddingMatchesADirectConvolution(size: (Int, Int)) throws {
        let test = LayerTests.Case(inChannels: 16, outChannels: 8, height: size.0, width: size.1)
        let expected = Self.reference(test.input, weights: test.weights, bias: test.bias, outChannels: 8)
        let error = LayerTests.maxError(try convolve(test, source: test.input, upsampled: false), expected)
        #expect(error <= WinogradTests.tolerance, "max |Δ| \(error) at \(size)")
    }

    @Test(arguments: [(1, 1), (3, 5), (6, 4)])
    func replicatePaddingOfAnUpsampledRead(size: (Int, Int)) throws {
        let test = LayerTests.Case(inChannels: 16, outChannels: 16, height: size.0 * 2, width: size.1 * 2)
        let half = FeatureMap(channels: 16, height: size.0, width: size.1, data: LayerTests.values(16 * size.0 * size.1, seed: 5))
        let expected = Self.reference(LayerTests.upsampled(half), weights: test.weights, bias: test.bias, outChannels: 16)
        let error = LayerTests.maxError(try convolve(test, source: half, upsampled: true), expected)
        #expect(error <= WinogradTests.tolerance, "max |Δ| \(error) at \(size)")
    }

    /// diffusers' time upsampling: the first frame once, every later one twice.
    @Test func timeUpsamplingRepeatsAllButTheFirstFrame() {
        #expect(CausalConv3D.timeUpsampling(frames: 1) == [0])
        #expect(CausalConv3D.timeUpsampling(frames: 3) == [0, 1, 1, 2, 2])
    }
}
