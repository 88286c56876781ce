import Foundation
import LatentKit

extension EncodedLatent {
    /// A draw from the diagonal Gaussian, `mean + exp(0.5·logvar)·randn`, the same numbers as diffusers'
    /// `latent_dist.sample(generator=torch.Generator().manual_seed(seed))` on CPU: one `randn` of the
    /// whole batch's shape. A latent without variance (TAESD's) is its own sample.
    public func sample(seed: UInt64) throws(TensorError) -> Tensor {
        guard let logVariance else { return mean }
        var generator = TorchGenerator(seed: seed)
        let noise = try generator.randn(shape: mean.shape).floatValues()
        let means = mean.floatValues()
        let deviations = logVariance.floatValues().map { expf(0.5 * $0) }
        let values = (0..<noise.count).map { means[$0] + deviations[$0] * noise[$0] }
        return try Tensor(values: values, shape: mean.shape)
    }
}
