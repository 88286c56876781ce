import DecodePipeline
import Foundation
import NativeVAE
import RemoteDecode

/// Why a job failed, typed so the workbench can offer the action that helps, with the words a
/// person reads. Journaled with the job.
public enum JobFailure: Error, Equatable, Codable, Sendable, CustomStringConvertible {
    /// The latent does not fit its preset, or the request built from it is wrong: fix the file or the preset.
    case invalidLatent(String)
    /// The image cannot be encoded as it is (too large for this machine, no preset to encode it for): fix the file or the choice.
    case invalidImage(String)
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
        case .invalidLatent, .invalidImage: .fixInput
        case .backendUnavailable: .otherBackend
        case .endpoint(_, let retryable): retryable ? .retry : .otherBackend
        case .engine: .otherBackend
        case .output: .checkOutput
        }
    }

    public var description: String {
        switch self {
        case .invalidLatent(let text), .invalidImage(let text), .backendUnavailable(let text), .endpoint(let text, _), .engine(let text),
            .output(let text):
            text
        }
    }

    /// The same failure, saying which frames of a video were saved before it (they stay on disk).
    public func keeping(_ frames: [URL], of total: Int) -> JobFailure {
        guard let first = frames.first, let last = frames.last else { return self }
        let count = total > 0 ? "\(frames.count) of \(total) frames were" : "\(frames.count) frame\(frames.count == 1 ? " was" : "s were")"
        let note =
            "; \(count) written before it failed (\(first.lastPathComponent)…\(last.lastPathComponent) in \(first.deletingLastPathComponent().path))"
        switch self {
        case .invalidLatent(let text): return .invalidLatent(text + note)
        case .invalidImage(let text): return .invalidImage(text + note)
        case .backendUnavailable(let text): return .backendUnavailable(text + note)
        case .endpoint(let text, let retryable): return .endpoint(text + note, retryable: retryable)
        case .engine(let text): return .engine(text + note)
        case .output(let text): return .output(text + note)
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
        // An image the encoder will not take as it is (too large untiled for the memory free) is the
        // input's to fix, like a latent that does not fit.
        case let engine as EngineError:
            if case .unsupportedImage = engine { self = .invalidImage(engine.description) } else { self = .engine(engine.description) }
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
