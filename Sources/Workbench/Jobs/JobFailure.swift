import DecodePipeline
import Foundation
import RemoteDecode

/// Why a job failed, typed so the workbench can offer the action that helps, with the words a
/// person reads. Journaled with the job.
public enum JobFailure: Error, Equatable, Codable, Sendable, CustomStringConvertible {
    /// The latent does not fit its preset, or the request built from it is wrong: fix the file or the preset.
    case invalidLatent(String)
    /// The backend cannot be used at all (no weights, no endpoint): pick another backend.
    case backendUnavailable(String)
    /// The endpoint failed or refused the job; `retryable` when trying again may help.
    case endpoint(String, retryable: Bool)
    /// The engine on this machine failed.
    case engine(String)
    /// The result came back but could not be written: check the output folder.
    case output(String)

    /// What the user can do about it.
    public enum Remedy: Sendable, Equatable {
        case retry, otherBackend, fixInput, checkOutput
    }

    public var remedy: Remedy {
        switch self {
        case .invalidLatent: .fixInput
        case .backendUnavailable: .otherBackend
        case .endpoint(_, let retryable): retryable ? .retry : .otherBackend
        case .engine: .otherBackend
        case .output: .checkOutput
        }
    }

    public var description: String {
        switch self {
        case .invalidLatent(let text), .backendUnavailable(let text), .endpoint(let text, _), .engine(let text), .output(let text): text
        }
    }

    /// A failure of any kind as a job failure (typed ones keep their kind).
    public init(_ error: any Error) {
        switch error {
        case let failure as JobFailure: self = failure
        case let failure as DecodeFailure:
            switch failure {
            case .invalidRequest(let reason): self = .invalidLatent(reason)
            case .engine(let engine): self = .engine(engine.description)
            case .encoding(let reason): self = .engine(reason)
            }
        case let remote as RemoteError:
            switch remote {
            case .exhausted: self = .endpoint(remote.description, retryable: true)
            case .rejected: self = .endpoint(remote.description, retryable: false)
            case .connectionRefused: self = .backendUnavailable(remote.description)
            case .noEndpoints: self = .backendUnavailable(remote.description)
            case .cancelled: self = .endpoint(remote.description, retryable: true)
            }
        default: self = .engine(String(describing: error))
        }
    }
}
