import LatentKit

/// An encoder that runs on this machine: images `[B, 3, H, W]` float32 in [-1, 1] (as diffusers'
/// `VaeImageProcessor.preprocess` makes them) to latents in VAE space.
public protocol EncodeEngine: Sendable {
    /// The name users pick it by (`full`, `tiny`).
    var name: String { get }
    func encode(_ images: Tensor, preset: Preset) throws(EngineError) -> EncodedLatent
}

/// What an encoder gives: AutoencoderKL's diagonal Gaussian (`mean` and `logVariance`, each
/// `[B, C, h, w]`), or, for TAESD, the latent itself as `mean` with no variance.
public struct EncodedLatent: Sendable, Equatable {
    public var mean: Tensor
    public var logVariance: Tensor?

    public init(mean: Tensor, logVariance: Tensor? = nil) {
        self.mean = mean
        self.logVariance = logVariance
    }
}
