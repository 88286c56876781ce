import LatentKit

/// Why a latent has nowhere to decode.
enum BackendChoiceError: Error, CustomStringConvertible {
    case noEndpoint(preset: Preset)

    var description: String {
        switch self {
        case .noEndpoint(let preset):
            "preset '\(preset.id)' has no endpoint: pass --endpoint URL, decode on this machine with --local, or choose a preset "
                + "that has endpoints with --preset (endpoints for '\(preset.id)' go under [presets.\(preset.id)] in config.toml)"
        }
    }
}
