/// Warnings about a latent's values that a person should see before decoding it.
public enum LatentWarning: Sendable, Equatable, CustomStringConvertible {
    case nonFinite(nan: Int, inf: Int)
    case allZero
    case looksUnscaled(std: Double, scalingFactor: Double)
    case looksDoublyScaled(std: Double, scalingFactor: Double)

    public var description: String {
        switch self {
        case .nonFinite(let nan, let inf):
            return
                "holds \(nan) NaN and \(inf) infinite values; the decode will be garbage where they are (a diverged sampler or an fp16 overflow?)"
        case .allZero:
            return "every value is zero"
        case .looksUnscaled(let std, let scaling):
            return String(
                format:
                    "looks unscaled: std %.2f is typical of raw VAE latents, while pipelines return latents multiplied by the scaling factor %g (std near 1); multiply by %g, or treat it as VAE-space",
                std, scaling, scaling)
        case .looksDoublyScaled(let std, let scaling):
            return String(
                format:
                    "looks scaled twice: std %.3f is far below the ~1 of pipeline latents; was the scaling factor %g applied twice?",
                std, scaling)
        }
    }

    /// Diffusion-space latents have a standard deviation near 1; raw VAE latents near 1/scaling.
    public static func check(_ stats: TensorStats, preset: Preset?, space: LatentSpace = .diffusion)
        -> [LatentWarning]
    {
        var warnings: [LatentWarning] = []
        if stats.nanCount + stats.infCount > 0 {
            warnings.append(.nonFinite(nan: stats.nanCount, inf: stats.infCount))
        }
        if stats.finiteCount > 0, stats.min == 0, stats.max == 0 {
            warnings.append(.allZero)
            return warnings
        }
        guard space == .diffusion, stats.finiteCount > 16, stats.std.isFinite else { return warnings }
        let scaling = preset?.scalingFactor ?? Preset.sd15.scalingFactor
        // Halfway (in log terms) between 1 and 1/scaling separates the two populations.
        let threshold = (1 / scaling).squareRoot()
        if stats.std > max(threshold, 1.8) {
            warnings.append(.looksUnscaled(std: stats.std, scalingFactor: scaling))
        } else if stats.std < min(scaling.squareRoot(), 0.5) {
            warnings.append(.looksDoublyScaled(std: stats.std, scalingFactor: scaling))
        }
        return warnings
    }
}
