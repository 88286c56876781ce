import Foundation
import LatentKit

/// Keeps the queue across quitting and crashes: each job's latent is saved when it is submitted,
/// and one small JSON file per job records its latest state. On the next start, finished jobs come
/// back as history (their outputs listed) and unfinished ones are queued again.
///
/// Layout: `<directory>/<job id>.json` and `<directory>/<job id>.safetensors`, each written
/// atomically, so a crash mid-write leaves the previous version.
public struct JobJournal: Sendable {
    public let directory: URL

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
        var space: LatentSpace
        var preset: Preset
        var backendID: String
        var outputType: OutputType
        var imageFormat: ImageFormat
        var height: Int?
        var width: Int?
        var state: JobState
        var error: String?
        var outputs: [String]
        var timings: [String: Double]
        var endpoint: String?
        var engine: String?
        var queuedAt: Date
        var finishedAt: Date?
    }

    public struct Entry: Sendable {
        public let job: DecodeJob
        public let status: JobStatus
    }

    /// Saves the job's latent and first record.
    public func record(_ job: DecodeJob) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let latent = SafetensorsWriter.encode([NamedTensor(name: "latents", tensor: job.latent)])
        try latent.write(to: latentURL(job.id), options: .atomic)
        try write(Record(job: job, status: JobStatus(job: job)))
    }

    /// Records a job's new state (only changes of state matter; progress is not journaled).
    public func update(_ status: JobStatus, job: DecodeJob) throws {
        try write(Record(job: job, status: status))
        // A finished job's latent is no longer needed to resume it; its outputs are on disk.
        if status.state == .done { try? FileManager.default.removeItem(at: latentURL(job.id)) }
    }

    /// Forgets jobs (cleared from the list).
    public func remove(_ ids: [UUID]) {
        for id in ids {
            try? FileManager.default.removeItem(at: recordURL(id))
            try? FileManager.default.removeItem(at: latentURL(id))
        }
    }

    /// Everything recorded, oldest first. Unreadable records are skipped, not fatal.
    public func load() -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var entries: [Entry] = []
        for name in names where name.hasSuffix(".json") {
            guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)),
                let record = try? decoder.decode(Record.self, from: data)
            else { continue }
            let latent = try? LatentFile.read(contentsOf: latentURL(record.id)).latent().tensor
            // A finished job keeps no latent; an unfinished one without its latent cannot resume.
            guard let tensor = latent ?? (record.state.isFinished ? Self.placeholder : nil) else { continue }
            entries.append(record.entry(latent: tensor))
        }
        return entries.sorted { $0.status.queuedAt < $1.status.queuedAt }
    }

    private static let placeholder = (try? Tensor(dtype: .float32, shape: [0], bytes: []))!

    private func write(_ record: Record) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(record).write(to: recordURL(record.id), options: .atomic)
    }

    private func recordURL(_ id: UUID) -> URL { directory.appendingPathComponent("\(id.uuidString).json") }
    private func latentURL(_ id: UUID) -> URL { directory.appendingPathComponent("\(id.uuidString).safetensors") }
}

extension JobJournal.Record {
    init(job: DecodeJob, status: JobStatus) {
        self.init(
            id: job.id, name: job.name, sourcePath: job.source.path, sourceKey: job.source.key, seed: job.source.seed, space: job.space,
            preset: job.preset, backendID: job.backendID, outputType: job.options.outputType, imageFormat: job.options.imageFormat,
            height: job.options.height, width: job.options.width, state: status.state, error: status.error, outputs: status.outputs,
            timings: status.timings, endpoint: status.endpoint, engine: status.engine, queuedAt: status.queuedAt,
            finishedAt: status.finishedAt)
    }

    func entry(latent: Tensor) -> JobJournal.Entry {
        let job = DecodeJob(
            id: id, name: name, source: JobSource(path: sourcePath, key: sourceKey, seed: seed), latent: latent, space: space,
            preset: preset,
            backendID: backendID, options: DecodeOptions(outputType: outputType, imageFormat: imageFormat, height: height, width: width))
        var status = JobStatus(job: job, now: queuedAt)
        if state.isFinished {
            status.state = state
            status.error = error
            status.outputs = outputs
            status.timings = timings
            status.endpoint = endpoint
            status.engine = engine
            status.finishedAt = finishedAt
        }
        return JobJournal.Entry(job: job, status: status)
    }
}
