import Foundation
import NativeVAE

/// Which engine decodes on this machine, with which weights and settings: enough to make the
/// engine again (a restored journal does) and to tell the user what made a result.
public struct LocalEngineSpec: Hashable, Codable, Sendable {
    public var engine: EngineName
    /// A weights file or model folder; nil means each preset's model from the Hugging Face cache.
    public var weights: String?
    public var precision: Precision
    public var tiling: TilingMode

    public init(engine: EngineName, weights: String? = nil, precision: Precision = .f32, tiling: TilingMode = .automatic) {
        self.engine = engine
        self.weights = engine == .approx ? nil : weights
        self.precision = precision
        self.tiling = tiling
    }

    /// latent2rgb: no weights, always there.
    public static let approx = LocalEngineSpec(engine: .approx)

    /// `full (…/vae)`, `tiny`, `approx`: the engine and the last component of its weights.
    public var label: String {
        var text = engine.rawValue
        if let weights { text += " (\(URL(fileURLWithPath: weights).lastPathComponent))" }
        if precision != .f32 { text += " \(precision.rawValue)" }
        return text
    }
}

/// Where a job is decoded: this machine with a given engine, or a set of endpoints tried in order.
/// A value, recorded with every job, so the queue, the journal and the screen all name the same thing.
public enum BackendIdentity: Hashable, Codable, Sendable, CustomStringConvertible {
    case local(LocalEngineSpec)
    case remote(endpoints: [String])

    public var isLocal: Bool {
        if case .local = self { true } else { false }
    }

    /// Short, for a job's row: `local · full (vae)` or `remote · host:port`.
    public var label: String {
        switch self {
        case .local(let spec): "local · \(spec.label)"
        case .remote(let endpoints):
            "remote · " + (endpoints.first.map(Self.host) ?? "no endpoint") + (endpoints.count > 1 ? " +\(endpoints.count - 1)" : "")
        }
    }

    public var description: String {
        switch self {
        case .local(let spec): "this machine (\(spec.label) engine)"
        case .remote(let endpoints): endpoints.isEmpty ? "no endpoint" : endpoints.joined(separator: ", ")
        }
    }

    static func host(_ endpoint: String) -> String {
        guard let components = URLComponents(string: endpoint), let host = components.host else { return endpoint }
        return components.port.map { "\(host):\($0)" } ?? host
    }
}
