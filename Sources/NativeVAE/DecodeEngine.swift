import LatentKit

/// A decoder that runs on this machine. Engines take unpacked VAE-space latents (`[B,C,H,W]` or
/// `[B,C,F,H,W]`) and return float32 pixels in [-1, 1]: `[B,3,H·s,W·s]` or `[B,3,F',H·s,W·s]`.
public protocol DecodeEngine: Sendable {
    /// The name users pick it by (`approx`, `tiny`, `full`).
    var name: String { get }
    func decode(_ latent: Tensor, preset: Preset) throws(EngineError) -> Tensor
}

public enum EngineError: Error, Equatable, CustomStringConvertible {
    case unsupportedLayout(engine: String, shape: [Int])
    case unsupportedChannels(engine: String, channels: Int)
    case outputTooLarge(engine: String, bytes: Int, limit: Int)
    case failed(engine: String, reason: String)

    public var description: String {
        switch self {
        case .unsupportedLayout(let engine, let shape):
            "the \(engine) engine decodes 4-D image or 5-D video latents, not \(shape.shapeText)"
        case .unsupportedChannels(let engine, let channels):
            "the \(engine) engine has no factors for \(channels)-channel latents"
        case .outputTooLarge(let engine, let bytes, let limit):
            "the \(engine) decode would need \(bytes >> 20) MiB for its output, over the \(limit >> 20) MiB limit; decode fewer frames or a smaller latent"
        case .failed(let engine, let reason):
            "the \(engine) decoder failed: \(reason)"
        }
    }
}

/// Names of the engines latentty knows, for option parsing and messages.
public enum EngineName: String, Sendable, CaseIterable {
    case approx
}

extension EngineName {
    public func makeEngine() -> any DecodeEngine {
        switch self {
        case .approx: Latent2RGBEngine()
        }
    }
}
