import DecodePipeline
import Foundation
import ImageCodecs
import LatentKit
import NativeVAE
import Synchronization
import Wire

/// Decodes on this machine through the shared `LocalDecoder`, with the engine its spec names.
/// Engines are made on first use, on the decode's own thread (loading weights takes seconds):
/// one for all presets when the spec names weights, else one per preset from its cached model.
/// Encode jobs run on the encoder of the same spec (same weights), made the same way.
public final class LocalBackend: DecodeBackend {
    public let identity: BackendIdentity
    public let concurrency: Int
    private let spec: LocalEngineSpec
    private let makeEngine: @Sendable (Preset) throws -> any DecodeEngine
    private let sharesOneEngine: Bool
    private let engines = Mutex<[String: any DecodeEngine]>([:])
    private let encoders = Mutex<[String: any EncodeEngine]>([:])

    /// A backend that makes its engines from `spec` (weights from the spec, else the Hugging Face cache).
    public convenience init(spec: LocalEngineSpec, concurrency: Int = 1) {
        self.init(spec: spec, concurrency: concurrency, sharesOneEngine: spec.weights != nil || spec.engine == .approx) { preset in
            try spec.engine.makeEngine(vae: spec.weights, preset: preset, tiling: spec.tiling, precision: spec.precision)
        }
    }

    /// A backend around an engine that is already made (the CLI loads weights before it starts).
    public convenience init(engine: any DecodeEngine, spec: LocalEngineSpec = .approx, concurrency: Int = 1) {
        self.init(spec: spec, concurrency: concurrency, sharesOneEngine: true) { _ in engine }
    }

    init(
        spec: LocalEngineSpec, concurrency: Int, sharesOneEngine: Bool, makeEngine: @escaping @Sendable (Preset) throws -> any DecodeEngine
    ) {
        self.identity = .local(spec)
        self.spec = spec
        self.concurrency = max(1, concurrency)
        self.sharesOneEngine = sharesOneEngine
        self.makeEngine = makeEngine
    }

    public func run(_ job: DecodeJob, report: @escaping @Sendable (BackendUpdate) -> Void) async throws(JobFailure) -> DecodeResult {
        if case .encode(let image) = job.work { return try await encode(image, for: job, report: report) }
        let request = try job.request()
        report(.state(.decoding))
        return try await onOwnThread { () throws(JobFailure) -> DecodeResult in
            let engine = try self.engine(for: job.preset)
            do {
                let answer = try LocalDecoder(engine: engine).decode(request, preset: job.preset) { report(.frames($0)) }
                return DecodeResult(payload: answer.payload, engine: engine.name, timings: answer.timings)
            } catch {
                throw JobFailure(error)
            }
        }
    }

    /// The image's latent in diffusion space (the mean of the distribution, as an endpoint answers),
    /// as a tensor result.
    private func encode(_ image: SourceImage, for job: DecodeJob, report: @escaping @Sendable (BackendUpdate) -> Void)
        async throws(JobFailure) -> DecodeResult
    {
        report(.state(.decoding))
        return try await onOwnThread { () throws(JobFailure) -> DecodeResult in
            let encoder = try self.encoder(for: job.preset, imageName: job.name)
            let start = Date()
            do {
                let encoded = try encoder.encode(EncoderInput.tensor(from: image.image), preset: job.preset)
                return DecodeResult(
                    payload: .tensor(job.preset.toDiffusionSpace(encoded.mean)), engine: encoder.name,
                    timings: ["encode": Date().timeIntervalSince(start)])
            } catch {
                throw JobFailure(error)
            }
        }
    }

    /// The encoder of this spec for `preset`, made once like the decoders. latent2rgb has none.
    func encoder(for preset: Preset, imageName: String) throws(JobFailure) -> any EncodeEngine {
        guard spec.engine != .approx else {
            throw .backendUnavailable(
                "latent2rgb (the approx engine) only decodes, so it cannot encode \(imageName): press R to send it to the preset's encode endpoint, or b to pick a full or tiny engine and open the image again"
            )
        }
        let key = spec.weights != nil ? "" : preset.id
        return try encoders.withLock { encoders throws(JobFailure) in
            if let encoder = encoders[key] { return encoder }
            do {
                let encoder = try spec.engine.makeEncodeEngine(
                    vae: spec.weights, preset: preset, tiling: spec.tiling, precision: spec.precision)
                encoders[key] = encoder
                return encoder
            } catch {
                throw .backendUnavailable(String(describing: error))
            }
        }
    }

    /// The engine for `preset`, made once: jobs that need it meanwhile wait for that one load
    /// instead of reading the same weights again.
    func engine(for preset: Preset) throws(JobFailure) -> any DecodeEngine {
        let key = sharesOneEngine ? "" : preset.id
        return try engines.withLock { engines throws(JobFailure) in
            if let engine = engines[key] { return engine }
            do {
                let engine = try makeEngine(preset)
                engines[key] = engine
                return engine
            } catch {
                throw .backendUnavailable(String(describing: error))
            }
        }
    }
}
