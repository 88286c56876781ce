import Foundation
import LatentKit

/// The Hugging Face token private endpoints need, found where the Hugging Face tools keep it.
public struct AccessToken: Sendable, Equatable {
    public let value: String
    /// Where it came from, for `doctor` and error messages (never the token itself).
    public let source: String

    public init(value: String, source: String) {
        self.value = value
        self.source = source
    }

    /// `HF_TOKEN`, then `HUGGING_FACE_HUB_TOKEN`, then the file at `HF_TOKEN_PATH`,
    /// `$HF_HOME/token` or `~/.cache/huggingface/token`.
    public static func discover(environment: [String: String] = ProcessInfo.processInfo.environment) -> AccessToken? {
        for name in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] {
            if let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty {
                return AccessToken(value: value, source: name)
            }
        }
        for path in HuggingFacePaths.tokenFiles(environment: environment).map(\.path) {
            if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !value.isEmpty { return AccessToken(value: value, source: path) }
            }
        }
        return nil
    }

    /// Tokens go only to Hugging Face hosts unless the user says otherwise: a token sent to any
    /// endpoint a config names could leak to a third party.
    public static func isHuggingFaceHost(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return false }
        return host == "huggingface.co" || host.hasSuffix(".huggingface.co") || host.hasSuffix(".huggingface.cloud")
            || host.hasSuffix(".hf.space")
    }
}
