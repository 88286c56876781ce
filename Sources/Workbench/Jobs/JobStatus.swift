import DecodePipeline
import Foundation
import RemoteDecode

/// What a queue subscriber hears.
public enum QueueEvent: Sendable, Equatable {
    case status(JobStatus)
    /// Jobs forgotten (cleared from the list); their files stay on disk.
    case removed([UUID])
    /// The queue's order changed.
    case order([UUID])
    /// The journal could not be written: jobs may not resume after quitting.
    case journalFailed(String)
    /// New frames of a video still decoding, for a preview; announced before the status that counts them.
    case frames(UUID, FrameBatch)
}

public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued, uploading, waiting, downloading, decoding, done, failed, cancelled

    public var isFinished: Bool { self == .done || self == .failed || self == .cancelled }
}

/// Everything known about a job at one moment: what the TUI draws and the CLI prints.
public struct JobStatus: Sendable, Equatable, Identifiable {
    public let id: UUID
    public var name: String
    public var kind: JobKind
    /// For a decode of a latent encoded in this session: the encode job, whose result is the original picture.
    public var encodedBy: UUID?
    /// The job's own preset and seed (saved file names use them, whatever is selected on screen).
    public var presetID: String
    public var seed: UInt64?
    public var backend: BackendIdentity
    /// Image or video and its size, when the latent tells (for comparing results).
    public var geometry: ResultGeometry?
    public var state: JobState
    public var progress: TransferProgress
    /// Video frames decoded so far, where the backend hands them out as they come (engines on this machine).
    public var frames: FrameCount?
    /// Retries so far (attempts beyond the first), with the latest reason.
    public var retries: Int
    public var lastRetryReason: String?
    public var endpoint: String?
    public var engine: String?
    public var queuedAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Seconds per phase (`upload`, `wait`, `download`, `decode`, `write`, `total`).
    public var timings: [String: Double]
    public var failure: JobFailure?
    /// Files written, in order.
    public var outputs: [String]

    public init(job: DecodeJob, now: Date = Date()) {
        id = job.id
        name = job.name
        kind = job.kind
        encodedBy = job.source.encodedBy
        presetID = job.preset.id
        seed = job.source.seed
        backend = job.backend
        geometry = job.resultGeometry
        state = .queued
        progress = TransferProgress()
        retries = 0
        queuedAt = now
        timings = [:]
        outputs = []
    }

    public init(
        id: UUID, name: String, kind: JobKind = .decode, presetID: String = "", seed: UInt64? = nil, backend: BackendIdentity,
        state: JobState, queuedAt: Date
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.presetID = presetID
        self.seed = seed
        self.backend = backend
        self.state = state
        self.progress = TransferProgress()
        self.retries = 0
        self.queuedAt = queuedAt
        self.timings = [:]
        self.outputs = []
    }

    /// The failure in words, for lists and logs.
    public var error: String? { failure?.description }

    /// Seconds since the job started (or its total once finished).
    public func elapsed(now: Date = Date()) -> Double? {
        guard let startedAt else { return nil }
        return (finishedAt ?? now).timeIntervalSince(startedAt)
    }
}
