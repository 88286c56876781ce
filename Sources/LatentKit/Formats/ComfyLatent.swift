/// ComfyUI `.latent`: safetensors holding `latent_tensor`. Files written since the
/// `latent_format_version_0` marker exists hold diffusion-space latents as they are; older files
/// are multiplied by 1/0.18215 on load, exactly as ComfyUI's LoadLatent does.
enum ComfyLatent {
    static let tensorKey = "latent_tensor"
    static let versionMarker = "latent_format_version_0"
    static let legacyMultiplier: Float = 1.0 / 0.18215

    static func read(_ archive: SafetensorsArchive) throws(LatentFileError) -> LatentFile {
        let samples = try archive.tensor(named: tensorKey)
        var notes: [String] = []
        var latent = samples
        if !archive.names.contains(versionMarker) {
            latent = samples.mapValues { $0 * legacyMultiplier }
            notes.append(
                "no \(versionMarker) marker: an old ComfyUI latent, multiplied by 1/0.18215 as ComfyUI does"
            )
        }
        return LatentFile(
            format: .comfyLatent, tensors: [NamedTensor(name: tensorKey, tensor: latent)],
            metadata: archive.metadata, space: .diffusion, notes: notes)
    }
}
