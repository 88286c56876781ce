import DecodePipeline
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
    /// Video frames that are final, in order.
    case frames(FrameBatch)
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

/// Something that decodes jobs: a remote endpoint set or an engine on this machine.
public protocol DecodeBackend: Sendable {
    var identity: BackendIdentity { get }
    /// How many jobs it runs at once unless the queue is told otherwise.
    var concurrency: Int { get }
    func run(_ job: DecodeJob, report: @escaping @Sendable (BackendUpdate) -> Void) async throws(JobFailure) -> DecodeResult
}
