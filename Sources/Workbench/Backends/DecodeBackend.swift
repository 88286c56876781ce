import Foundation
import LatentKit
import RemoteDecode
import Wire

/// What a backend reports while it works.
public enum BackendUpdate: Sendable, Equatable {
    case state(JobState)
    case progress(TransferProgress)
    case retrying(reason: String, afterSeconds: Double)
    case endpoint(String)
}

/// A finished decode, before anything is written.
public struct DecodeResult: Sendable {
    public var payload: DecodedPayload
    public var endpoint: String?
    public var engine: String?
    public var timings: [String: Double]

    public init(payload: DecodedPayload, endpoint: String? = nil, engine: String? = nil, timings: [String: Double] = [:]) {
        self.payload = payload
        self.endpoint = endpoint
        self.engine = engine
        self.timings = timings
    }
}

/// Something that decodes jobs: a remote endpoint set or a local engine.
public protocol DecodeBackend: Sendable {
    var id: String { get }
    /// How many jobs it runs at once.
    var concurrency: Int { get }
    func run(_ job: DecodeJob, report: @escaping @Sendable (BackendUpdate) -> Void) async throws -> DecodeResult
}

public enum BackendError: Error, Equatable, CustomStringConvertible {
    case unknownBackend(String)
    case invalidLatent(String)
    case failed(String)

    public var description: String {
        switch self {
        case .unknownBackend(let id): "no backend named '\(id)'"
        case .invalidLatent(let reason): reason
        case .failed(let reason): reason
        }
    }
}

extension DecodeJob {
    /// Checks the latent against its preset and says how its axes read.
    func layout() throws -> LatentLayout {
        do {
            return try preset.layout(of: latent.shape, dtype: latent.dtype)
        } catch {
            throw BackendError.invalidLatent(error.description)
        }
    }
}
