import Foundation
import LatentKit
import RemoteDecode
import Synchronization
import Wire

/// Decodes on Hybrid Inference endpoints (or a `latentty serve`), with retries and failover. One
/// backend per endpoint set lives as long as the queue, so its client's connections are reused.
public struct RemoteBackend: DecodeBackend {
    public let identity: BackendIdentity
    public let concurrency: Int
    public let client: RemoteClient
    public let configuration: RemoteConfiguration

    public init(concurrency: Int = 2, client: RemoteClient = RemoteClient(), configuration: RemoteConfiguration) {
        self.identity = .remote(endpoints: configuration.endpoints)
        self.concurrency = max(1, concurrency)
        self.client = client
        self.configuration = configuration
    }

    public func run(_ job: DecodeJob, report: @escaping @Sendable (BackendUpdate) -> Void) async throws(JobFailure) -> DecodeResult {
        if case .encode(let image) = job.work { return try await encode(image, preset: job.preset, report: report) }
        let request = try job.request()
        let clock = PhaseClock()
        report(.state(.uploading))
        do {
            let (payload, endpoint) = try await client.decode(
                request, configuration: configuration, events: Self.reporting(to: report, clock: clock))
            return DecodeResult(payload: payload, endpoint: endpoint, timings: clock.finish())
        } catch {
            throw JobFailure(error)
        }
    }

    /// `remote_encode` of the image as diffusers sends it (its PNG, the preset's factors); the
    /// answer is the latent in diffusion space, checked against the shape this preset's encoder makes.
    private func encode(_ image: SourceImage, preset: Preset, report: @escaping @Sendable (BackendUpdate) -> Void)
        async throws(JobFailure) -> DecodeResult
    {
        let clock = PhaseClock()
        report(.state(.uploading))
        let latent: Tensor
        let endpoint: String
        do {
            (latent, endpoint) = try await client.encode(
                png: image.png, width: image.image.width, height: image.image.height, preset: preset, configuration: configuration,
                events: Self.reporting(to: report, clock: clock))
        } catch {
            throw JobFailure(error)
        }
        return DecodeResult(payload: .tensor(latent), endpoint: endpoint, timings: clock.finish())
    }

    /// The client's events as job updates: endpoint, transfer phase and progress, retries.
    private static func reporting(to report: @escaping @Sendable (BackendUpdate) -> Void, clock: PhaseClock)
        -> @Sendable (RemoteEvent) -> Void
    {
        { event in
            switch event {
            case .attempt(let endpoint, _):
                report(.endpoint(endpoint))
            case .progress(let progress):
                let uploadDone = progress.uploadTotal > 0 && progress.uploaded >= progress.uploadTotal
                let state: JobState = progress.downloaded > 0 ? .downloading : (uploadDone ? .waiting : .uploading)
                clock.enter(state)
                report(.progress(progress))
                report(.state(state))
            case .retrying(_, let delay, let reason):
                report(.retrying(reason: reason, afterSeconds: delay))
            case .failingOver(_, let to, let reason):
                report(.retrying(reason: reason, afterSeconds: 0))
                report(.endpoint(to))
            }
        }
    }
}

/// Accumulates seconds spent in each transfer phase.
final class PhaseClock: Sendable {
    private struct State {
        var phase: JobState = .uploading
        var since = Date()
        var totals: [String: Double] = [:]
    }

    private let state = Mutex(State())

    private static func name(_ phase: JobState) -> String {
        switch phase {
        case .uploading: "upload"
        case .waiting: "wait"
        case .downloading: "download"
        default: phase.rawValue
        }
    }

    func enter(_ phase: JobState) {
        state.withLock { state in
            guard state.phase != phase else { return }
            let now = Date()
            state.totals[Self.name(state.phase), default: 0] += now.timeIntervalSince(state.since)
            state.phase = phase
            state.since = now
        }
    }

    func finish() -> [String: Double] {
        state.withLock { state in
            state.totals[Self.name(state.phase), default: 0] += Date().timeIntervalSince(state.since)
            return state.totals
        }
    }
}
