import Foundation
import Testing

@testable import NativeVAE

/// Winograd F(4×4, 3×3) against a direct convolution in double precision, at sizes that are not
/// multiples of the 4×4 output tile (edge tiles, a 1-pixel image, one row, one column).
@Suite struct WinogradTests {
    /// Deterministic values in [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Double(state >> 40) / Double(1 << 24) * 2 - 1)
        }
    }

    /// 3×3, stride 1, zero padding 1, in Double.
    static func direct(_ input: [Float], channels: Int, height: Int, width: Int, weights: [Float], bias: [Float], outputs: Int)
        -> [Double]
    {
        var out = [Double](repeating: 0, count: outputs * height * width)
        for o in 0..<outputs {
            for y in 0..<height {
                for x in 0..<width {
                    var sum = Double(bias[o])
                    for c in 0..<channels {
                        for ky in 0..<3 {
                            for kx in 0..<3 {
                                let (sy, sx) = (y + ky - 1, x + kx - 1)
                                guard sy >= 0, sy < height, sx >= 0, sx < width else { continue }
                                sum +=
                                    Double(input[(c * height + sy) * width + sx]) * Double(weights[((o * channels + c) * 3 + ky) * 3 + kx])
                            }
                        }
                    }
                    out[(o * height + y) * width + x] = sum
                }
            }
        }
        return out
    }

    @Test(arguments: [(1, 1), (4, 4), (5, 7), (9, 13), (1, 17), (17, 1), (12, 8)])
    func matchesADirectConvolution(size: (Int, Int)) throws {
        let context = try #require(DNNL.shared)
        let (height, width) = size
        let (channels, outputs) = (3, 5)
        let input = Self.values(channels * height * width, seed: 1)
        let weights = Self.values(outputs * channels * 9, seed: 2).map { $0 * 0.3 }
        let bias = Self.values(outputs, seed: 3)
        let layer = WinogradConvolution(weights: weights, bias: bias, outputs: outputs, inputs: channels)
        let result = try layer.forward(FeatureMap(channels: channels, height: height, width: width, data: input), context: context)
        #expect(result.channels == outputs && result.height == height && result.width == width)
        let reference = Self.direct(input, channels: channels, height: height, width: width, weights: weights, bias: bias, outputs: outputs)
        let worst = zip(result.data, reference).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "max |Δ| \(worst) at \(height)×\(width)")
    }

    /// The transforms themselves: a kernel with a single 1 at the centre is the identity, so every
    /// output tile equals its input tile's centre.
    @Test func theCentreKernelIsTheIdentity() throws {
        let context = try #require(DNNL.shared)
        var weights = [Float](repeating: 0, count: 9)
        weights[4] = 1
        let input = Self.values(11 * 6, seed: 4)
        let layer = WinogradConvolution(weights: weights, bias: [0], outputs: 1, inputs: 1)
        let result = try layer.forward(FeatureMap(channels: 1, height: 11, width: 6, data: input), context: context)
        let worst = zip(result.data, input).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-6)
    }
}
