import Foundation
import LatentKit

/// Finds VAE weights already on this machine — never downloads. Looks where the Hugging Face tools
/// keep models: `$HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`, in
/// `models--ORG--NAME/snapshots/*/[vae/]`.
public enum ModelDiscovery {
    /// The tiny decoder each built-in preset can use.
    public static func tinyModelID(for preset: Preset) -> String? {
        switch preset.id {
        case "sd15": "madebyollin/taesd"
        case "sdxl": "madebyollin/taesdxl"
        case "flux": "madebyollin/taef1"
        case "hunyuanvideo": "madebyollin/taehv"
        default: nil
        }
    }

    public static func cacheDirectories(environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
        HuggingFacePaths.hubCaches(environment: environment)
    }

    /// The newest snapshot of `modelID` that holds decoder weights.
    public static func find(_ modelID: String, in directories: [URL]) -> VAELocation? {
        let folder = "models--" + modelID.replacingOccurrences(of: "/", with: "--")
        for directory in directories {
            let snapshots = directory.appendingPathComponent(folder).appendingPathComponent("snapshots")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: snapshots.path)) ?? []
            let dated = names.map { snapshots.appendingPathComponent($0) }.sorted { modified($0) > modified($1) }
            for snapshot in dated {
                if let location = try? VAELocation.resolve(snapshot.path) { return location }
            }
        }
        return nil
    }

    private static func modified(_ url: URL) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date) ?? .distantPast
    }

    public struct Availability: Sendable, Equatable {
        public let preset: String
        public let full: VAELocation?
        public let tiny: VAELocation?
    }

    public static func survey(_ presets: [Preset], environment: [String: String] = ProcessInfo.processInfo.environment) -> [Availability] {
        let directories = cacheDirectories(environment: environment)
        return presets.map { preset in
            Availability(
                preset: preset.id, full: preset.modelID.flatMap { find($0, in: directories) },
                tiny: tinyModelID(for: preset).flatMap { find($0, in: directories) })
        }
    }
}
