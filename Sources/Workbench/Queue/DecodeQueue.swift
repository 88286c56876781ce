import Foundation

/// The job queue: runs each backend's jobs in submission order, at most `concurrency` at a time per
/// backend, writes outputs as each finishes, and publishes every change of every job. One failure
/// never stops the others, and finished outputs are on disk before the job reports done. Each
/// job names its backend by identity; the registry makes (once) whatever backend that is.
public actor DecodeQueue {
    public nonisolated let registry: BackendRegistry
    private var concurrencyLimits: [BackendIdentity: Int] = [:]
    private let writer: OutputWriter
    private let journal: JobJournal?
    private var journaledStates: [UUID: JobState] = [:]
    /// Whether the last journal write failed (the failure was announced; the next success clears it).
    private var journalFailing = false
    private var jobs: [UUID: DecodeJob] = [:]
    private var statuses: [UUID: JobStatus] = [:]
    private var order: [UUID] = []
    private var running: [UUID: Task<Void, Never>] = [:]
    private var subscribers: [UUID: AsyncStream<QueueEvent>.Continuation] = [:]
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    /// With a journal, every job is recorded when submitted and at each change of state, so it
    /// can be restored after a quit or a crash.
    public init(registry: BackendRegistry, writer: OutputWriter, journal: JobJournal? = nil) {
        self.registry = registry
        self.writer = writer
        self.journal = journal
    }

    /// A queue that knows only these backends.
    public init(backends: [any DecodeBackend], writer: OutputWriter, journal: JobJournal? = nil) {
        self.init(registry: BackendRegistry(fixed: backends), writer: writer, journal: journal)
    }

    /// Every status change from now on (plus the current state of every job, first).
    public func events() -> AsyncStream<QueueEvent> {
        let (stream, continuation) = AsyncStream<QueueEvent>.makeStream(bufferingPolicy: .bufferingNewest(4096))
        let id = UUID()
        subscribers[id] = continuation
        for jobID in order { if let status = statuses[jobID] { continuation.yield(.status(status)) } }
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        return stream
    }

    private func unsubscribe(_ id: UUID) { subscribers[id] = nil }

    @discardableResult
    public func submit(_ job: DecodeJob) -> UUID {
        journaling { (journal) throws(JobJournal.WriteError) in try journal.record(job) }
        journaledStates[job.id] = .queued
        jobs[job.id] = job
        order.append(job.id)
        publish(JobStatus(job: job))
        schedule()
        return job.id
    }

    public func cancel(_ id: UUID) {
        guard var status = statuses[id], !status.state.isFinished else { return }
        if let task = running[id] {
            task.cancel()
        } else {
            status.state = .cancelled
            status.finishedAt = Date()
            publish(status)
            checkIdle()
        }
    }

    public func status(of id: UUID) -> JobStatus? { statuses[id] }

    public func job(_ id: UUID) -> DecodeJob? { jobs[id] }

    /// How many jobs `backend` may run at once (a preset's concurrency setting), instead of its default.
    public func setConcurrency(_ limit: Int, for backend: BackendIdentity) {
        concurrencyLimits[backend] = max(1, limit)
        schedule()
    }

    /// Sends a job's latent (or image) again, to the same backend or another, as a new job.
    @discardableResult
    public func resubmit(_ id: UUID, to backend: BackendIdentity? = nil) -> DecodeJob? {
        guard let job = jobs[id] else { return nil }
        let copy = DecodeJob(
            name: job.name, source: job.source, work: job.work, space: job.space, preset: job.preset,
            backend: backend ?? job.backend, options: job.options)
        submit(copy)
        return copy
    }

    /// Moves a queued job earlier (negative `offset`) or later among the jobs.
    public func move(_ id: UUID, by offset: Int) {
        guard let index = order.firstIndex(of: id) else { return }
        let target = min(max(index + offset, 0), order.count - 1)
        order.remove(at: index)
        order.insert(id, at: target)
        broadcast(.order(order))
    }

    /// Forgets finished jobs (their files stay on disk).
    public func clearFinished() {
        let finished = order.filter { statuses[$0]?.state.isFinished == true }
        order.removeAll { finished.contains($0) }
        for id in finished {
            statuses[id] = nil
            jobs[id] = nil
            journaledStates[id] = nil
        }
        journal?.remove(finished)
        broadcast(.removed(finished))
    }

    /// Brings back a job from the journal, after those restored before it: a finished one is shown
    /// with its outputs and never run again; an unfinished one is queued again on its own backend.
    public func restore(_ job: DecodeJob, status: JobStatus) {
        journaledStates[job.id] = status.state
        jobs[job.id] = job
        order.append(job.id)
        var status = status
        if !status.state.isFinished { status.state = .queued }
        publish(status)
        schedule()
    }

    /// Job ids in queue order.
    public var jobOrder: [UUID] { order }

    public var allStatuses: [JobStatus] { order.compactMap { statuses[$0] } }

    /// Returns once no job is queued or running.
    public func waitUntilIdle() async {
        if isIdle { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private var isIdle: Bool { statuses.values.allSatisfy(\.state.isFinished) }

    private func checkIdle() {
        guard isIdle else { return }
        let waiters = idleWaiters
        idleWaiters = []
        waiters.forEach { $0.resume() }
    }

    /// Restores everything the journal holds, in submission order; returns how many records were
    /// unusable. Remote jobs run at their preset's concurrency unless told otherwise.
    public func restoreJournal() -> Int {
        guard let journal else { return 0 }
        let (entries, unusable) = journal.load()
        for entry in entries {
            if !entry.job.backend.isLocal, concurrencyLimits[entry.job.backend] == nil {
                concurrencyLimits[entry.job.backend] = max(1, entry.job.preset.concurrency)
            }
            restore(entry.job, status: entry.status)
        }
        return unusable
    }

    private func publish(_ status: JobStatus) {
        statuses[status.id] = status
        if journaledStates[status.id] != status.state, let job = jobs[status.id] {
            journaledStates[status.id] = status.state
            journaling { (journal) throws(JobJournal.WriteError) in try journal.update(status, job: job) }
        }
        broadcast(.status(status))
    }

    /// Runs a journal write; a failure is announced (once while it keeps failing), never swallowed.
    private func journaling(_ write: (JobJournal) throws(JobJournal.WriteError) -> Void) {
        guard let journal else { return }
        do {
            try write(journal)
            journalFailing = false
        } catch {
            if !journalFailing { broadcast(.journalFailed(error.description)) }
            journalFailing = true
        }
    }

    private func broadcast(_ event: QueueEvent) {
        for continuation in subscribers.values { continuation.yield(event) }
    }

    /// Starts queued jobs in order while their backends have room. A backend that cannot be made
    /// fails its jobs at once, in words.
    private func schedule() {
        var busy: [BackendIdentity: Int] = [:]
        for id in running.keys { if let job = jobs[id] { busy[job.backend, default: 0] += 1 } }
        var unusable: [(UUID, JobFailure)] = []
        for id in order where statuses[id]?.state == .queued && running[id] == nil {
            guard let job = jobs[id] else { continue }
            let backend: any DecodeBackend
            do {
                backend = try registry.backend(for: job.backend)
            } catch {
                unusable.append((id, error))
                continue
            }
            let limit = concurrencyLimits[job.backend] ?? backend.concurrency
            guard busy[job.backend, default: 0] < limit else { continue }
            busy[job.backend, default: 0] += 1
            start(id, on: backend)
        }
        // Failed after the loop: finishing schedules again, which must not run inside this count.
        for (id, failure) in unusable { finish(id, failure: failure) }
    }

    private func start(_ id: UUID, on backend: any DecodeBackend) {
        guard let job = jobs[id], var status = statuses[id] else { return }
        status.startedAt = Date()
        publish(status)
        let writer = self.writer
        running[id] = Task.detached {
            // Frame PNGs are written as frames come, off the decoding thread and off the queue.
            let frameFiles = job.options.framePNGs && job.preset.isVideo ? FrameFiles(directory: writer.directory, job: job) : nil
            defer { frameFiles?.release() }
            // Updates flow through one stream so they apply in order, and all before the result.
            let (updates, sink) = AsyncStream<BackendUpdate>.makeStream()
            let applier = Task {
                for await update in updates {
                    if case .frames(let batch) = update { frameFiles?.write(batch) }
                    await self.apply(update, to: id)
                }
            }
            let started = Date()
            do throws(JobFailure) {
                var result = try await backend.run(job) { sink.yield($0) }
                sink.finish()
                await applier.value
                guard !Task.isCancelled else { return await self.finish(id, cancelled: true, outputs: frameFiles?.written ?? []) }
                let writeStart = Date()
                let files: [URL]
                do {
                    files = try writer.write(result, for: job, frames: frameFiles)
                } catch {
                    throw .output("\(job.kind == .encode ? "encoded" : "decoded"), but the result could not be saved: \(error)")
                }
                result.timings["write"] = Date().timeIntervalSince(writeStart)
                result.timings["total"] = Date().timeIntervalSince(started)
                await self.complete(id, result: result, files: files)
            } catch {
                sink.finish()
                await applier.value
                let kept = frameFiles?.written ?? []
                let failure = kept.isEmpty ? error : error.keeping(kept, of: frameFiles?.total ?? 0)
                await self.finish(id, failure: failure, cancelled: Task.isCancelled, outputs: kept)
            }
        }
    }

    private func apply(_ update: BackendUpdate, to id: UUID) {
        guard var status = statuses[id], !status.state.isFinished else { return }
        switch update {
        case .state(let state): status.state = state
        case .progress(let progress): status.progress = progress
        case .retrying(let reason, _):
            status.retries += 1
            status.lastRetryReason = reason
        case .endpoint(let endpoint): status.endpoint = endpoint
        case .frames(let batch):
            status.frames = FrameCount(done: batch.done, total: batch.total, elapsed: batch.elapsed)
            broadcast(.frames(id, batch))
        }
        publish(status)
    }

    private func complete(_ id: UUID, result: DecodeResult, files: [URL]) {
        guard var status = statuses[id] else { return }
        status.state = .done
        status.finishedAt = Date()
        status.timings = result.timings
        status.endpoint = result.endpoint ?? status.endpoint
        status.engine = result.engine
        status.outputs = files.map(\.path)
        settle(id, status)
    }

    private func finish(_ id: UUID, failure: JobFailure? = nil, cancelled: Bool = false, outputs: [URL] = []) {
        guard var status = statuses[id], !status.state.isFinished else { return }
        status.state = cancelled ? .cancelled : .failed
        status.outputs = outputs.map(\.path)
        status.failure = cancelled ? nil : failure
        status.finishedAt = Date()
        settle(id, status)
    }

    private func settle(_ id: UUID, _ status: JobStatus) {
        running[id] = nil
        publish(status)
        schedule()
        checkIdle()
    }
}
