import Foundation
import LatentKit
import Synchronization

/// Keeps the queue across quitting and crashes: each job's latent is saved when it is submitted,
/// and one small JSON file per job records its latest state. On the next start, finished jobs come
/// back as history (their outputs listed) and unfinished ones are queued again.
///
/// An encode job's image is saved the same way, as the PNG it encodes: the file it was opened from
/// may be moved, edited or deleted before the job resumes, and the journal's copy is exactly the
/// pixels that were to be encoded. It is kept until the job is cleared (not only until it is done,
/// as a latent is), so a finished encode brought back from the journal can still be run again.
///
/// Layout: `<directory>/<job id>.json` and `<directory>/<job id>.safetensors` (or `.png`), each written whole
/// and renamed into place (`SafeFolder`), so a kill mid-write leaves the previous version, and the
/// temporary files of a killed writer are removed when the journal is next loaded.
public struct JobJournal: Sendable {
    public let directory: URL
    /// Each job's submission sequence, as recorded or loaded, so updates need not read their record back.
    private let sequences = SequenceBook()

    public init(directory: URL) {
        self.directory = directory
    }

    /// `$XDG_STATE_HOME/latentty/journal`, else `~/.local/state/latentty/journal`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty {
            return URL(fileURLWithPath: state).appendingPathComponent("latentty/journal")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/state/latentty/journal")
    }

    struct Record: Codable {
        var id: UUID
        var name: String
        var sourcePath: String?
        var sourceKey: String?
        var seed: UInt64?
        /// Absent for decodes (and in journals from before encode jobs).
        var kind: JobKind?
        var sourceEncodedBy: UUID?
        var space: LatentSpace
        var preset: Preset
        var backend: BackendIdentity?
        /// Journals written before backends had identities: `local` or `remote:<preset>`.
        var backendID: String?
        var outputType: OutputType
        var imageFormat: ImageFormat
        var height: Int?
        var width: Int?
        /// Absent in journals from before frame PNGs.
        var framePNGs: Bool?
        var state: JobState
        var failure: JobFailure?
        /// The failure's words, as journals before typed failures kept them.
        var error: String?
        var outputs: [String]
        var timings: [String: Double]
        var endpoint: String?
        var engine: String?
        var queuedAt: Date
        var finishedAt: Date?
        /// Submission order (dates are kept to the second, and many jobs share one).
        var sequence: Int64?
        /// The result's geometry (a finished job keeps no latent to tell it from).
        var geometry: ResultGeometry?
    }

    public struct Entry: Sendable {
        public let job: DecodeJob
        public let status: JobStatus
    }

    /// Why the journal could not be written: shown to the user, who may lose the queue on quit.
    public struct WriteError: Error, CustomStringConvertible {
        public let cause: FileSystemError
        public var description: String { "the job journal cannot be written (\(cause)); jobs will not resume after quitting" }
    }

    /// Saves the job's latent and first record.
    public func record(_ job: DecodeJob) throws(WriteError) {
        try writing(directory, .creatingFolder) {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        switch job.work {
        case .decode(let tensor):
            let latent = SafetensorsWriter.encode([NamedTensor(name: "latents", tensor: tensor)])
            try writing(latentURL(job.id), .writing) {
                try folder.replaceFile(named: latentURL(job.id).lastPathComponent, with: Array(latent))
            }
        case .encode(let image):
            try writing(imageURL(job.id), .writing) { try folder.replaceFile(named: imageURL(job.id).lastPathComponent, with: image.png) }
        }
        let sequence = Self.nextSequence()
        try write(Record(job: job, status: JobStatus(job: job), sequence: sequence))
        sequences.set(sequence, for: job.id)
    }

    /// Records a job's new state (only changes of state matter; progress is not journaled).
    public func update(_ status: JobStatus, job: DecodeJob) throws(WriteError) {
        let known = sequences.sequence(of: job.id)
        let sequence = known ?? readRecord(job.id)?.sequence ?? Self.nextSequence()
        try write(Record(job: job, status: status, sequence: sequence))
        if known == nil { sequences.set(sequence, for: job.id) }
        // A finished job's latent is no longer needed to resume it; its outputs are on disk.
        if status.state == .done { try? FileManager.default.removeItem(at: latentURL(job.id)) }
    }

    /// Forgets jobs (cleared from the list).
    public func remove(_ ids: [UUID]) {
        for id in ids {
            try? FileManager.default.removeItem(at: recordURL(id))
            try? FileManager.default.removeItem(at: latentURL(id))
            try? FileManager.default.removeItem(at: imageURL(id))
        }
    }

    /// Everything recorded, in the order it was submitted, and how many records could not be used
    /// (unreadable, unfinished with their latent gone, or an encode whose image is gone). Those are
    /// skipped, not fatal.
    public func load() -> (entries: [Entry], unusable: Int) {
        removeStaleTemporaries()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return ([], 0) }
        var records: [Record] = []
        var unusable = 0
        for name in names where name.hasSuffix(".json") {
            guard let id = UUID(uuidString: String(name.dropLast(5))), let record = readRecord(id) else {
                unusable += 1
                continue
            }
            records.append(record)
            if let sequence = record.sequence { sequences.set(sequence, for: id) }
        }
        records.sort { ($0.sequence ?? 0, $0.queuedAt) < ($1.sequence ?? 0, $1.queuedAt) }
        var entries: [Entry] = []
        for record in records {
            guard let work = work(of: record) else {
                unusable += 1
                continue
            }
            entries.append(record.entry(work: work))
        }
        return (entries, unusable)
    }

    /// What a recorded job works on: its image, or its latent. A finished decode keeps no latent;
    /// an unfinished one without its latent cannot resume.
    private func work(of record: Record) -> JobWork? {
        if record.kind == .encode {
            guard let bytes = try? Data(contentsOf: imageURL(record.id)),
                let image = try? SourceImage(path: record.sourcePath ?? record.name, bytes: Array(bytes))
            else { return nil }
            return .encode(image)
        }
        let latent = try? LatentFile.read(contentsOf: latentURL(record.id)).latent().tensor
        return (latent ?? (record.state.isFinished ? DecodeJob.noLatent : nil)).map(JobWork.decode)
    }

    /// Microseconds since 1970, strictly increasing within the process, so a later submission
    /// always sorts later, in this session or the next.
    private static let lastSequence = Mutex<Int64>(0)

    static func nextSequence(now: Date = Date()) -> Int64 {
        lastSequence.withLock { last in
            last = max(Int64(now.timeIntervalSince1970 * 1_000_000), last + 1)
            return last
        }
    }

    private func readRecord(_ id: UUID) -> Record? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let data = try? Data(contentsOf: recordURL(id)) else { return nil }
        return try? decoder.decode(Record.self, from: data)
    }

    private func write(_ record: Record) throws(WriteError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writing(recordURL(record.id), .writing) {
            try folder.replaceFile(named: recordURL(record.id).lastPathComponent, with: Array(try encoder.encode(record)))
        }
    }

    private func writing(_ url: URL, _ access: FileSystemError.Access, _ body: () throws -> Void) throws(WriteError) {
        do {
            try FileSystemError.accessing(url, for: access, body)
        } catch {
            throw WriteError(cause: error)
        }
    }

    /// Removes what writers killed mid-write left behind (their own temporary files only).
    public func removeStaleTemporaries() {
        folder.removeStaleTemporaries()
    }

    private var folder: SafeFolder { SafeFolder(url: directory) }
    private func recordURL(_ id: UUID) -> URL { directory.appendingPathComponent("\(id.uuidString).json") }
    private func latentURL(_ id: UUID) -> URL { directory.appendingPathComponent("\(id.uuidString).safetensors") }
    private func imageURL(_ id: UUID) -> URL { directory.appendingPathComponent("\(id.uuidString).png") }
}

extension JobJournal.Record {
    init(job: DecodeJob, status: JobStatus, sequence: Int64) {
        self.init(
            id: job.id, name: job.name, sourcePath: job.source.path, sourceKey: job.source.key, seed: job.source.seed,
            kind: job.kind == .encode ? .encode : nil, sourceEncodedBy: job.source.encodedBy, space: job.space,
            preset: job.preset, backend: job.backend, backendID: nil, outputType: job.options.outputType,
            imageFormat: job.options.imageFormat, height: job.options.height, width: job.options.width,
            framePNGs: job.options.framePNGs ? true : nil, state: status.state,
            failure: status.failure, error: nil, outputs: status.outputs, timings: status.timings, endpoint: status.endpoint,
            engine: status.engine, queuedAt: status.queuedAt, finishedAt: status.finishedAt, sequence: sequence,
            geometry: status.geometry)
    }

    /// The backend, also for records from before backends had identities.
    var resolvedBackend: BackendIdentity {
        backend ?? (backendID == "local" ? .local(.approx) : .remote(endpoints: preset.endpoints))
    }

    func entry(work: JobWork) -> JobJournal.Entry {
        let job = DecodeJob(
            id: id, name: name, source: JobSource(path: sourcePath, key: sourceKey, seed: seed, encodedBy: sourceEncodedBy), work: work,
            space: space,
            preset: preset, backend: resolvedBackend,
            options: DecodeOptions(
                outputType: outputType, imageFormat: imageFormat, height: height, width: width, framePNGs: framePNGs ?? false))
        var status = JobStatus(job: job, now: queuedAt)
        status.geometry = geometry ?? status.geometry
        if state.isFinished {
            status.state = state
            status.failure = failure ?? error.map { .engine($0) }
            status.outputs = outputs
            status.timings = timings
            status.endpoint = endpoint
            status.engine = engine
            status.finishedAt = finishedAt
        }
        return JobJournal.Entry(job: job, status: status)
    }
}

/// Sequences by job, shared by every copy of a journal value.
private final class SequenceBook: Sendable {
    private let sequences = Mutex<[UUID: Int64]>([:])

    func sequence(of id: UUID) -> Int64? { sequences.withLock { $0[id] } }
    func set(_ sequence: Int64, for id: UUID) { sequences.withLock { $0[id] = sequence } }
}
