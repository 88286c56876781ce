import Foundation
import LatentKit

/// Reading HunyuanVideo VAE weights as people have them: the diffusers folder's safetensors (f32 or
/// bf16), or Tencent's original `hunyuan-video-t2v-720p/vae/pytorch_model.pt`, whose key names are
/// diffusers' own (its conversion script renames nothing in the VAE) under an optional
/// `state_dict.`/`model.`/`module.` wrapper.
enum HunyuanVideoWeights {
    /// A torch.save of the whole VAE (encoder and decoder, f32) is about 1 GB; the reader's caps
    /// are raised to that much and no further.
    static let checkpointLimits = ReadLimits(maxUnpackedBytes: 4 << 30)

    static func load(_ url: URL) throws -> WeightStore {
        guard url.pathExtension == "pt" || url.pathExtension == "pth" || url.pathExtension == "ckpt" else {
            return try WeightStore.load(url)
        }
        let file: LatentFile
        do {
            file = try LatentFile.read(contentsOf: url, limits: checkpointLimits)
        } catch {
            throw NativeError.unreadableWeights("\(url.path): \(error)")
        }
        var tensors: [String: Tensor] = [:]
        for named in file.tensors {
            var name = named.name
            for wrapper in ["state_dict.", "model.", "module."] where name.hasPrefix(wrapper) {
                name = String(name.dropFirst(wrapper.count))
            }
            tensors[name] = named.tensor
        }
        return WeightStore(tensors: WeightStore.canonicalNames(tensors))
    }

    /// Whether the weights at `location` are a HunyuanVideo VAE: its config says so, or the
    /// decoder's first convolution is 3-D.
    static func describe(_ location: VAELocation) -> Bool {
        if let config = location.config { return HunyuanVideoConfig.describesHunyuanVideo(config) }
        // The image decoders read safetensors only, so a torch.save checkpoint can only be this one.
        if ["pt", "pth", "ckpt"].contains(location.weights.pathExtension) { return true }
        guard let archive = try? SafetensorsArchive(contentsOf: location.weights) else { return false }
        return archive.entries.contains { entry in
            ["decoder.conv_in.conv.weight", "vae.decoder.conv_in.conv.weight"].contains(entry.name) && entry.shape.count == 5
        }
    }
}
