import Foundation
import RemoteDecode
import Synchronization

/// Every backend the queue has used, made on first need from a job's `BackendIdentity` and kept
/// for the rest of the session: one remote client (one connection pool) per endpoint set, one
/// local backend per engine spec. Jobs restored from the journal get their backends the same way.
public final class BackendRegistry: Sendable {
    public typealias Factory = @Sendable (BackendIdentity) throws(JobFailure) -> any DecodeBackend

    private let backends = Mutex<[BackendIdentity: any DecodeBackend]>([:])
    private let factory: Factory

    public init(factory: @escaping Factory) {
        self.factory = factory
    }

    /// Backends made from their identities: remote ones share `remote`'s retry, limits and token settings.
    public static func standard(remote: RemoteConfiguration = RemoteConfiguration(endpoints: []), remoteConcurrency: Int = 2)
        -> BackendRegistry
    {
        BackendRegistry { identity throws(JobFailure) in
            switch identity {
            case .local(let spec):
                return LocalBackend(spec: spec)
            case .remote(let endpoints):
                guard !endpoints.isEmpty else { throw .backendUnavailable(RemoteError.noEndpoints.description) }
                var configuration = remote
                configuration.endpoints = endpoints
                return RemoteBackend(concurrency: remoteConcurrency, configuration: configuration)
            }
        }
    }

    /// Only these backends; any other identity fails its jobs with a clear reason.
    public convenience init(fixed: [any DecodeBackend]) {
        self.init { identity throws(JobFailure) in throw .backendUnavailable("no backend is set up for \(identity)") }
        for backend in fixed { register(backend) }
    }

    /// Adds a ready-made backend (an engine whose weights are already loaded), replacing one of the same identity.
    public func register(_ backend: any DecodeBackend) {
        backends.withLock { $0[backend.identity] = backend }
    }

    /// The backend for `identity`, made once.
    public func backend(for identity: BackendIdentity) throws(JobFailure) -> any DecodeBackend {
        if let existing = backends.withLock({ $0[identity] }) { return existing }
        let made = try factory(identity)
        return backends.withLock { backends in
            if let raced = backends[identity] { return raced }
            backends[identity] = made
            return made
        }
    }
}
