import Foundation

/// Where the Hugging Face tools keep things on this machine, as candidate paths in the order to try:
/// the specific variable (`HF_HUB_CACHE`, `HF_TOKEN_PATH`), then `$HF_HOME`, then
/// `$XDG_CACHE_HOME/huggingface` (or `~/.cache/huggingface`).
public enum HuggingFacePaths {
    public static func hubCaches(environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
        candidates(specific: environment["HF_HUB_CACHE"], under: "hub", environment: environment)
    }

    public static func tokenFiles(environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
        candidates(specific: environment["HF_TOKEN_PATH"], under: "token", environment: environment)
    }

    private static func candidates(specific: String?, under name: String, environment: [String: String]) -> [URL] {
        var urls: [URL] = []
        if let specific, !specific.isEmpty { urls.append(URL(fileURLWithPath: specific)) }
        if let home = environment["HF_HOME"], !home.isEmpty { urls.append(URL(fileURLWithPath: home).appendingPathComponent(name)) }
        let cache = environment["XDG_CACHE_HOME"] ?? (environment["HOME"].map { $0 + "/.cache" } ?? "")
        if !cache.isEmpty { urls.append(URL(fileURLWithPath: cache).appendingPathComponent("huggingface/" + name)) }
        return urls
    }
}
