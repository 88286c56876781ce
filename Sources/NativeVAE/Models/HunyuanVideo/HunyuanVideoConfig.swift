import Foundation

/// The shape of a HunyuanVideo VAE decoder, from `config.json` (diffusers `AutoencoderKLHunyuanVideo`).
public struct HunyuanVideoConfig: Sendable, Equatable {
    public static let className = "AutoencoderKLHunyuanVideo"

    public var latentChannels: Int
    public var blockOutChannels: [Int]
    public var layersPerBlock: Int
    public var normGroups: Int
    public var midBlockAttention: Bool

    /// hunyuanvideo-community/HunyuanVideo's `vae/config.json`.
    public static let standard = HunyuanVideoConfig(
        latentChannels: 16, blockOutChannels: [128, 256, 512, 512], layersPerBlock: 2, normGroups: 32, midBlockAttention: true)

    /// Pixels per latent cell and frames per latent frame: the only ratios diffusers builds.
    public static let spatialFactor = 8
    public static let temporalFactor = 4

    public static func load(_ url: URL) throws -> HunyuanVideoConfig {
        guard let data = try? Data(contentsOf: url), let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NativeError.badConfig("\(url.path) is not a JSON object")
        }
        return try HunyuanVideoConfig(json: json, origin: url.path)
    }

    /// Whether `url` names a HunyuanVideo VAE config (any readable JSON with that `_class_name`).
    static func describesHunyuanVideo(_ url: URL) -> Bool {
        guard let data = try? Data(contentsOf: url), let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            return false
        }
        return json["_class_name"] as? String == className
    }

    init(latentChannels: Int, blockOutChannels: [Int], layersPerBlock: Int, normGroups: Int, midBlockAttention: Bool) {
        self.latentChannels = latentChannels
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
        self.normGroups = normGroups
        self.midBlockAttention = midBlockAttention
    }

    init(json: [String: Any], origin: String) throws {
        let name = json["_class_name"] as? String ?? "no _class_name"
        guard name == Self.className else {
            throw NativeError.badConfig("\(origin) describes \(name), not an \(Self.className)")
        }
        guard let blocks = json["block_out_channels"] as? [Int], let latent = json["latent_channels"] as? Int else {
            throw NativeError.badConfig("\(origin) lacks block_out_channels or latent_channels")
        }
        self.init(
            latentChannels: latent, blockOutChannels: blocks, layersPerBlock: json["layers_per_block"] as? Int ?? 2,
            normGroups: json["norm_num_groups"] as? Int ?? 32, midBlockAttention: json["mid_block_add_attention"] as? Bool ?? true)
        let ratios = (json["spatial_compression_ratio"] as? Int ?? 8, json["temporal_compression_ratio"] as? Int ?? 4)
        let problem: String? =
            if ratios != (Self.spatialFactor, Self.temporalFactor) {
                "spatial_compression_ratio \(ratios.0) and temporal_compression_ratio \(ratios.1) are not the 8 and 4 this decoder builds"
            } else if (json["out_channels"] as? Int ?? 3) != 3 {
                "out_channels must be 3"
            } else if (json["act_fn"] as? String ?? "silu") != "silu" {
                "act_fn must be silu"
            } else {
                self.problem
            }
        if let problem { throw NativeError.badConfig("\(origin): \(problem)") }
    }

    /// What makes the numbers unusable for this decoder, if anything.
    /// The decoder's parameters (its f32 weights stay resident: about 146 M, 0.58 GB, for the real
    /// model), counted from the shapes; biases and norms are too few to matter.
    var decoderParameters: Int {
        let reversed = Array(blockOutChannels.reversed())
        let top = reversed[0]
        var count = 27 * latentChannels * top + 2 * 54 * top * top + (midBlockAttention ? 4 * top * top : 0)
        var previous = top
        for (index, channels) in reversed.enumerated() {
            for layer in 0...layersPerBlock {
                let input = layer == 0 ? previous : channels
                count += 27 * input * channels + 27 * channels * channels + (input == channels ? 0 : input * channels)
            }
            if index < reversed.count - 1 { count += 27 * channels * channels }
            previous = channels
        }
        return count + 27 * previous * 3
    }

    var problem: String? {
        if blockOutChannels.count != 4 { return "block_out_channels must have 4 entries (3 spatial upsamplings, 2 in time)" }
        if layersPerBlock < 1 || normGroups < 1 { return "layers_per_block and norm_num_groups must be positive" }
        // The causal convolutions run on latentty's Winograd layer, which works on eight channels at a time.
        if let odd = ([latentChannels] + blockOutChannels).first(where: { $0 < 8 || $0 % 8 != 0 }) {
            return "channel count \(odd) is not a positive multiple of 8"
        }
        if let odd = blockOutChannels.first(where: { $0 % normGroups != 0 }) {
            return "norm_num_groups \(normGroups) does not divide block_out_channels \(odd)"
        }
        return nil
    }
}
