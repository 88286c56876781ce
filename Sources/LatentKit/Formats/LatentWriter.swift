import Foundation

/// Writes a latent as safetensors, `.npy` or a ComfyUI `.latent`, chosen by the file extension, atomically
/// (a crash never leaves a half-written file under the final name).
public enum LatentWriter {
    public static func write(
        _ tensor: Tensor, to url: URL, key: String = "latents", metadata: [String: String] = [:]
    ) throws {
        let data: Data
        switch url.pathExtension.lowercased() {
        case "npy": data = try NumPyArray.encode(tensor)
        case "latent":
            // ComfyUI's SaveLatent: the empty marker says the values are diffusion-space as they are.
            let marker = NamedTensor(name: ComfyLatent.versionMarker, tensor: try Tensor(dtype: .float32, shape: [0], bytes: []))
            data = SafetensorsWriter.encode([NamedTensor(name: ComfyLatent.tensorKey, tensor: tensor), marker], metadata: metadata)
        default:
            data = SafetensorsWriter.encode([NamedTensor(name: key, tensor: tensor)], metadata: metadata)
        }
        try FileSystemError.accessing(url, for: .writing) { try data.write(to: url, options: .atomic) }
    }
}
