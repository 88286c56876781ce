import Foundation
import LatentKit
import RemoteDecode
import Synchronization
import Wire

/// Decodes on Hybrid Inference endpoints (or a `latentty serve`), with retries and failover.
public struct RemoteBackend: DecodeBackend {
    public let id: String
    public let concurrency: Int
    public let client: RemoteClient
    public let configuration: RemoteConfiguration

    public init(id: String = "remote", concurrency: Int = 2, client: RemoteClient = RemoteClient(), configuration: RemoteConfiguration) {
        self.id = id
        self.concurrency = max(1, concurrency)
        self.client = client
        self.configuration = configuration
    }

    /// The request diffusers would send for this job: diffusion-space latents carry the preset's
    /// factors (the server divides them out); VAE-space latents carry none ("already applied").
    public static func request(for job: DecodeJob) throws -> DecodeRequest {
        let layout = try job.layout()
        var parameters = DecodeParameters(imageFormat: job.options.imageFormat, shape: job.latent.shape, dtype: job.latent.dtype)
        parameters.apply(job.options.outputType)
        if job.space == .diffusion {
            parameters.scalingFactor = job.preset.scalingFactor
            parameters.shiftFactor = job.preset.shiftFactor
        }
        if case .packed(_, let tokens, _) = layout {
            let (h, w): (Int, Int)
            do {
                (h, w) = try FluxPacking.latentSize(
                    tokens: tokens, height: job.options.height, width: job.options.width, spatialFactor: job.preset.spatialFactor)
            } catch {
                throw BackendError.invalidLatent(error.description)
            }
            parameters.height = job.options.height ?? h * job.preset.spatialFactor
            parameters.width = job.options.width ?? w * job.preset.spatialFactor
        }
        return DecodeRequest(latent: job.latent, parameters: parameters)
    }

    public func run(_ job: DecodeJob, report: @escaping @Sendable (BackendUpdate) -> Void) async throws -> DecodeResult {
        let request = try Self.request(for: job)
        let clock = PhaseClock()
        report(.state(.uploading))
        let (payload, endpoint) = try await client.decode(request, configuration: configuration) { event in
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
        return DecodeResult(payload: payload, endpoint: endpoint, timings: clock.finish())
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
