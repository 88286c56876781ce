import Foundation
import Testing

@testable import NativeVAE

/// latentty's Winograd F(4×4, 3×3) layer against a direct convolution in double precision
/// (`LayerTests.reference`), at sizes that are not multiples of the 4×4 output tile (edge tiles, a
/// 1-pixel image, one row, one column), in every layout activations use, in strips of one tile row
/// (a scratch budget of one byte) and whole, reading an upsampled input, adding into a residual,
/// and over its own input. Weights scaled by 1/√fan-in keep outputs near 1; the transforms multiply
/// values by up to ±8·8 and cancel them again, which costs f32 a few ulps: 2e-5 here.
@Suite(.serialized) struct WinogradTests {
    let context = DNNL.shared!
    static let tolerance: Float = 2e-5

    static let sizes = [(1, 1), (4, 4), (5, 7), (9, 13), (1, 17), (17, 1), (12, 8), (22, 20)]
    static let layouts: [ActivationLayout] = [.channelsLast, .blocked(8), .blocked(16)]

    func convolve(
        _ test: LayerTests.Case, layout: ActivationLayout, stripScratchBytes: Int, policy: WinogradPolicy = .always
    ) throws -> (FeatureMap, String?) {
        try context.lock.withLock { _ in
            let layer = test.layer(policy, stripScratchBytes: stripScratchBytes)
            let input = try Activation(test.input, type: .f32, context: context).converted(to: .f32, layout: layout, context: context)
            let output = try layer(input, context: context)
            #expect(output.layout == layout, "the output keeps the input's layout")
            return (try output.featureMap(context: context), layer.kernelName(height: test.input.height, width: test.input.width))
        }
    }

    @Test(arguments: sizes)
    func matchesADirectConvolution(size: (Int, Int)) throws {
        let test = LayerTests.Case(inChannels: 16, outChannels: 16, height: size.0, width: size.1)
        let expected = LayerTests.reference(test.input, weights: test.weights, bias: test.bias, outChannels: 16, kernel: 3)
        for layout in Self.layouts {
            for budget in [1, 16 << 20] {
                let (output, kernel) = try convolve(test, layout: layout, stripScratchBytes: budget)
                #expect(kernel?.contains("winograd") == true)
                let error = LayerTests.maxError(output, expected)
                #expect(error <= Self.tolerance, "max |Δ| \(error) at \(size) in \(layout), budget \(budget)")
            }
        }
    }

    /// Upsampling folded into the input read: the half-size input (odd sizes) convolved as if it had
    /// been upsampled first, in strips.
    @Test(arguments: [(11, 10), (1, 1), (3, 5)])
    func readsTheInputUpsampled(size: (Int, Int)) throws {
        let test = LayerTests.Case(inChannels: 16, outChannels: 24, height: size.0 * 2, width: size.1 * 2)
        let half = FeatureMap(
            channels: 16, height: size.0, width: size.1, data: LayerTests.values(16 * size.0 * size.1, seed: 5))
        let expected = LayerTests.reference(LayerTests.upsampled(half), weights: test.weights, bias: test.bias, outChannels: 24, kernel: 3)
        for layout in Self.layouts {
            let output = try context.lock.withLock { _ in
                let layer = test.layer(.always, stripScratchBytes: 1)
                let input = try Activation(half, type: .f32, context: context).converted(to: .f32, layout: layout, context: context)
                return try layer.upsampling(input, context: context).featureMap(context: context)
            }
            #expect(LayerTests.maxError(output, expected) <= Self.tolerance, "\(size) in \(layout)")
        }
    }

    /// residual ← relu(residual + conv(x)), into f32 and bf16 residuals in another layout than the input's.
    @Test(arguments: [ElementType.f32, .bf16])
    func addsIntoTheResidualWithReLU(residualType: ElementType) throws {
        let test = LayerTests.Case(inChannels: 16, outChannels: 16, height: 13, width: 9)
        let residual = FeatureMap(channels: 16, height: 13, width: 9, data: LayerTests.values(16 * 13 * 9, seed: 7))
        let rounded = residualType == .bf16 ? residual.data.map { BFloat16($0).float } : residual.data
        var expected = LayerTests.reference(test.input, weights: test.weights, bias: test.bias, outChannels: 16, kernel: 3)
        expected.data = zip(expected.data, rounded).map { max(0, $0 + $1) }
        let output = try context.lock.withLock { _ in
            let layer = test.layer(.always, stripScratchBytes: 1)
            let input = try Activation(test.input, type: .f32, context: context)
            var sum = try Activation(residual, type: .f32, context: context).converted(
                to: residualType, layout: .blocked(16), context: context)
            try layer.accumulate(input, into: &sum, relu: true, context: context)
            return try sum.featureMap(context: context)
        }
        // bf16 stores 8 bits of mantissa: half an ulp of values up to ~4.
        let tolerance: Float = residualType == .f32 ? Self.tolerance : 0.02
        #expect(LayerTests.maxError(output, expected) <= tolerance)
        #expect(output.data.allSatisfy { $0 >= 0 })
    }

    /// Written over its own input (each strip's result lands only after the next strip has read its
    /// halo row): the definition's values, in the input's memory, for as many and for fewer output
    /// channels, blocked and channels last.
    @Test(arguments: [(32, ActivationLayout.blocked(16)), (16, .blocked(16)), (32, .channelsLast), (16, .channelsLast)])
    func convolvesOverItsOwnInput(outChannels: Int, layout: ActivationLayout) throws {
        let test = LayerTests.Case(inChannels: 32, outChannels: outChannels, height: 22, width: 13)
        let expected = LayerTests.reference(test.input, weights: test.weights, bias: test.bias, outChannels: outChannels, kernel: 3)
        let (output, sameMemory) = try context.lock.withLock { _ in
            let layer = test.layer(.always, stripScratchBytes: 1)
            let input = try Activation(test.input, type: .f32, context: context).converted(to: .f32, layout: layout, context: context)
            let address = input.pointer
            let output = try layer.replacing(input, context: context)
            return (try output.featureMap(context: context), output.pointer == address)
        }
        #expect(sameMemory)
        #expect(LayerTests.maxError(output, expected) <= Self.tolerance)
    }

    /// Weights transformed afresh on each call (a wide layer on a small image, where keeping them
    /// would cost more memory than the activation) give the same result as kept ones, call after call.
    @Test func weightsTransformedPerCallMatchKeptOnes() throws {
        let test = LayerTests.Case(inChannels: 64, outChannels: 32, height: 9, width: 11)
        let (kept, _) = try convolve(test, layout: .blocked(16), stripScratchBytes: 16 << 20, policy: .always)
        let (first, _) = try convolve(test, layout: .blocked(16), stripScratchBytes: 16 << 20, policy: .automatic)
        #expect(first.data == kept.data)
        let expected = LayerTests.reference(test.input, weights: test.weights, bias: test.bias, outChannels: 32, kernel: 3)
        #expect(LayerTests.maxError(first, expected) <= Self.tolerance)
    }

    /// bf16 operands (transformed tiles and weights, f32 products) where the CPU has AVX-512. Each
    /// rounding is 2⁻⁹ relative, and the output transform adds up to 64 of them per value (its
    /// ±8 coefficients, twice): a numpy model of the same arithmetic gives max |Δ| ≈ 0.07 per tile
    /// on these values, so ≤ 0.3 over the image and an RMS error ≤ 0.03 (outputs have RMS ≈ 1) —
    /// and not the f32 result (it really ran in bf16).
    @Test func bf16OperandsStayClose() throws {
        let test = LayerTests.Case(inChannels: 32, outChannels: 16, height: 14, width: 10)
        let expected = LayerTests.reference(test.input, weights: test.weights, bias: test.bias, outChannels: 16, kernel: 3)
        let output = try context.lock.withLock { _ in
            let layer = Conv2D(
                inChannels: 32, outChannels: 16, kernel: 3, weights: test.weights, bias: test.bias, precision: .bf16, winograd: .always)
            return try layer(try Activation(test.input, type: .f32, context: context), output: .f32, context: context).featureMap(
                context: context)
        }
        let error = LayerTests.maxError(output, expected)
        let squares = zip(output.data, expected.data).map { ($0 - $1) * ($0 - $1) }
        let rms = (squares.reduce(0, +) / Float(squares.count)).squareRoot()
        #expect(error <= 0.3 && rms <= 0.03, "max |Δ| \(error), RMS \(rms)")
        #expect((error > Self.tolerance) == NativeRuntime.hasNativeBF16, "max |Δ| \(error)")
    }

    /// Strips fit the budget, but never drop below the minimum tile count, nor exceed the image.
    @Test func stripRowsFollowTheBudgetAndTheMinimum() {
        // 64→64 at 512²: 128 tile columns, 2.36 MB of tiles and products per tile row.
        #expect(
            WinogradLayer.stripRows(
                tileRows: 128, tileColumns: 128, inputs: 64, outputs: 64, operandSize: 4, budget: 4 << 20, minimumTiles: 1) == 1)
        #expect(
            WinogradLayer.stripRows(
                tileRows: 128, tileColumns: 128, inputs: 64, outputs: 64, operandSize: 4, budget: 4 << 20, minimumTiles: 256) == 2)
        #expect(
            WinogradLayer.stripRows(
                tileRows: 128, tileColumns: 128, inputs: 64, outputs: 64, operandSize: 4, budget: 32 << 20, minimumTiles: 256) == 14)
        // 512→512 at 64²: 16 tile columns; the minimum decides.
        #expect(
            WinogradLayer.stripRows(
                tileRows: 16, tileColumns: 16, inputs: 512, outputs: 512, operandSize: 4, budget: 4 << 20, minimumTiles: 256) == 16)
        #expect(
            WinogradLayer.stripRows(tileRows: 3, tileColumns: 2, inputs: 8, outputs: 8, operandSize: 4, budget: 1 << 30, minimumTiles: 256)
                == 3)
        #expect(
            WinogradLayer.stripRows(tileRows: 3, tileColumns: 2, inputs: 8, outputs: 8, operandSize: 4, budget: 1, minimumTiles: 1) == 1)
    }

    /// Layers whose channels do not come in eights (the latent's 4 in, the image's 3 out) convolve
    /// directly on oneDNN.
    @Test func unevenChannelsConvolveDirectly() throws {
        let test = LayerTests.Case(inChannels: 16, outChannels: 3, height: 6, width: 5)
        let (output, kernel) = try context.lock.withLock { _ in
            let layer = test.layer(.always)
            let output = try layer(try Activation(test.input, type: .f32, context: context), context: context)
            return (try output.featureMap(context: context), layer.kernelName(height: 6, width: 5))
        }
        #expect(kernel?.contains("winograd") == false)
        let expected = LayerTests.reference(test.input, weights: test.weights, bias: test.bias, outChannels: 3, kernel: 3)
        #expect(LayerTests.maxError(output, expected) <= 1e-5)
    }
}
