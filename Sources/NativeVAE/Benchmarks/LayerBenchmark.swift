import Foundation
import LatentKit

/// One 3×3 convolution shape timed both ways: latentty's Winograd and oneDNN's direct kernel.
public struct LayerTiming: Sendable {
    public let inputs: Int
    public let outputs: Int
    public let side: Int
    public let winogradSeconds: Double
    public let directSeconds: Double
    /// oneDNN's name for its direct kernel here, e.g. `brgconv:avx512_core`.
    public let directKernel: String
}

/// The per-layer measurement behind Conv2D's choice of kernel (`latentty bench conv`): each 3×3
/// layer shape of a decoder, on random values, best of a few runs after a warm-up.
public enum LayerBenchmark {
    /// The distinct 3×3 shapes (inputs, outputs, output side) of the full SD/SDXL/Flux decoder
    /// making a `size`² image, or of TAESD's; the latent's and the image's own layers (3 or 4
    /// channels) always convolve directly and are left out.
    public static func shapes(model: String, size: Int) -> [(inputs: Int, outputs: Int, side: Int)] {
        if model == "taesd" { return [8, 4, 2, 1].map { (64, 64, size / $0) } }
        return [(512, 512, size / 8), (512, 512, size / 4), (512, 256, size / 2), (256, 256, size / 2), (256, 128, size), (128, 128, size)]
    }

    public static func measure(inputs: Int, outputs: Int, side: Int, repeats: Int = 3) throws -> LayerTiming {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        var generator = TorchGenerator(seed: 1)
        let input = FeatureMap(
            channels: inputs, height: side, width: side, data: try generator.randn(shape: [inputs * side * side]).floatValues())
        let weights = try generator.randn(shape: [outputs * inputs * 9]).floatValues().map { $0 / Float(inputs * 9).squareRoot() }
        let bias = [Float](repeating: 0.1, count: outputs)
        func time(_ policy: WinogradPolicy) throws -> (Double, String) {
            let layer = Conv2D(inChannels: inputs, outChannels: outputs, kernel: 3, weights: weights, bias: bias, winograd: policy)
            return try context.lock.withLock { _ in
                let activation = try Activation(input, type: .f32, context: context)
                var best = Double.infinity
                for _ in 0...max(1, repeats) {
                    let start = Date()
                    _ = try layer(activation, context: context)
                    best = min(best, Date().timeIntervalSince(start))
                }
                return (best, layer.kernelName(height: side, width: side) ?? "?")
            }
        }
        let (winograd, _) = try time(.automatic)
        let (direct, kernel) = try time(.never)
        return LayerTiming(
            inputs: inputs, outputs: outputs, side: side, winogradSeconds: winograd, directSeconds: direct, directKernel: kernel)
    }
}
