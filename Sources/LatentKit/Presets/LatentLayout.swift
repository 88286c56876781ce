import Foundation

/// How a latent tensor's axes are to be read under a preset.
public enum LatentLayout: Sendable, Equatable {
    case image(batch: Int, channels: Int, height: Int, width: Int)
    /// Flux's 2×2-patch packing: `[B, (H/2)(W/2), C·4]`.
    case packed(batch: Int, tokens: Int, features: Int)
    case video(batch: Int, channels: Int, frames: Int, height: Int, width: Int)

    public var batch: Int {
        switch self {
        case .image(let batch, _, _, _), .packed(let batch, _, _), .video(let batch, _, _, _, _): batch
        }
    }
}

public enum PresetMismatch: Error, Equatable, CustomStringConvertible, LocalizedError {
    case notFloatingPoint(preset: String, dtype: DType)
    case wrongRank(preset: String, expected: String, shape: [Int], hint: String?)
    case wrongChannels(preset: String, expected: Int, actual: Int, hint: String?)
    case wrongPackedFeatures(preset: String, expected: Int, actual: Int)
    case emptyDimension(shape: [Int])

    public var description: String {
        func with(_ hint: String?) -> String { hint.map { " — \($0)?" } ?? "" }
        switch self {
        case .notFloatingPoint(let preset, let dtype):
            return "\(preset) latents are float32, float16 or bfloat16; this one is \(dtype.rawValue)"
        case .wrongRank(let preset, let expected, let shape, let hint):
            return
                "\(preset) expects \(expected); this latent is \(shape.count)-D \(shape.shapeText)\(with(hint))"
        case .wrongChannels(let preset, let expected, let actual, let hint):
            return "\(preset) expects \(expected) channels; this latent has \(actual)\(with(hint))"
        case .wrongPackedFeatures(let preset, let expected, let actual):
            return
                "a packed \(preset) latent has \(expected) features per token (channels × 4); this one has \(actual)"
        case .emptyDimension(let shape):
            return "latent shape \(shape.shapeText) has an empty dimension"
        }
    }

    public var errorDescription: String? { description }
}

extension Preset {
    /// Checks a latent's shape and dtype against this preset and says how to read its axes.
    /// `others` supplies the presets named in hints when the latent belongs elsewhere.
    public func layout(of shape: [Int], dtype: DType, others: [Preset] = Preset.builtins)
        throws(PresetMismatch) -> LatentLayout
    {
        guard dtype.isFloatingPoint else { throw .notFloatingPoint(preset: name, dtype: dtype) }
        guard !shape.contains(where: { $0 <= 0 }) else { throw .emptyDimension(shape: shape) }
        let hint = Preset.hint(for: shape, among: others.filter { $0.id != id })
        if isVideo {
            guard shape.count == 5 else {
                throw .wrongRank(
                    preset: name, expected: "a 5-D video latent [B, \(latentChannels), F, H, W]",
                    shape: shape, hint: hint)
            }
            guard shape[1] == latentChannels else {
                throw .wrongChannels(preset: name, expected: latentChannels, actual: shape[1], hint: hint)
            }
            return .video(
                batch: shape[0], channels: shape[1], frames: shape[2], height: shape[3], width: shape[4])
        }
        switch shape.count {
        case 4:
            guard shape[1] == latentChannels else {
                throw .wrongChannels(preset: name, expected: latentChannels, actual: shape[1], hint: hint)
            }
            return .image(batch: shape[0], channels: shape[1], height: shape[2], width: shape[3])
        case 3 where packed:
            guard shape[2] == latentChannels * 4 else {
                throw .wrongPackedFeatures(preset: name, expected: latentChannels * 4, actual: shape[2])
            }
            return .packed(batch: shape[0], tokens: shape[1], features: shape[2])
        default:
            let expected =
                "a 4-D latent [B, \(latentChannels), H, W]"
                + (packed ? " or a packed 3-D one [B, tokens, \(latentChannels * 4)]" : "")
            throw .wrongRank(preset: name, expected: expected, shape: shape, hint: hint)
        }
    }

    /// Presets a shape fits, most likely first (by how close the image size is to each model's own).
    public static func suggestions(for shape: [Int], among presets: [Preset] = Preset.builtins)
        -> [Preset]
    {
        let fitting = presets.filter { preset in
            switch shape.count {
            case 5: preset.isVideo && shape[1] == preset.latentChannels
            case 4: !preset.isVideo && shape[1] == preset.latentChannels
            case 3: preset.packed && shape[2] == preset.latentChannels * 4
            default: false
            }
        }
        let pixels: Double? = {
            switch shape.count {
            case 4, 5: return Double(shape[shape.count - 2] * shape[shape.count - 1])
            case 3: return Double(shape[1] * 4)
            default: return nil
            }
        }()
        guard let pixels, pixels > 0 else { return fitting }
        func distance(_ preset: Preset) -> Double {
            guard let native = preset.nativeResolution else { return .infinity }
            let side = pixels.squareRoot() * Double(preset.spatialFactor)
            return abs(log(side / Double(native)))
        }
        return fitting.enumerated().sorted {
            (distance($0.element), $0.offset) < (distance($1.element), $1.offset)
        }.map(\.element)
    }

    static func hint(for shape: [Int], among presets: [Preset]) -> String? {
        let names = suggestions(for: shape, among: presets).map(\.name)
        switch names.count {
        case 0:
            return shape.count == 3 && shape[2] % 4 == 0
                ? "it looks like a packed latent of \(shape[2] / 4) channels" : nil
        case 1: return names[0]
        default: return names.dropLast().joined(separator: ", ") + " or " + names.last!
        }
    }
}
