import Foundation
import ImageCodecs
import LatentKit
import NativeVAE
import Wire

/// Decodes on this machine with one of the native engines.
public struct LocalBackend: DecodeBackend {
    public let id: String
    public let concurrency: Int
    public let engine: any DecodeEngine

    public init(id: String = "local", concurrency: Int = 1, engine: any DecodeEngine) {
        self.id = id
        self.concurrency = max(1, concurrency)
        self.engine = engine
    }

    public func run(_ job: DecodeJob, report: @escaping @Sendable (BackendUpdate) -> Void) async throws -> DecodeResult {
        report(.state(.decoding))
        let engine = self.engine
        return try await onOwnThread { () throws -> DecodeResult in
            let start = Date()
            let pixels = try Self.decode(job, engine: engine)
            let decoded = Date()
            let payload = try Self.payload(pixels, options: job.options, isVideo: job.preset.isVideo)
            var timings = ["decode": decoded.timeIntervalSince(start)]
            if job.options.outputType == .mp4 { timings["encode"] = Date().timeIntervalSince(decoded) }
            return DecodeResult(payload: payload, engine: engine.name, timings: timings)
        }
    }

    /// Unpacks, moves to VAE space and runs the engine: float pixels in [-1, 1].
    public static func decode(_ job: DecodeJob, engine: any DecodeEngine) throws -> Tensor {
        // Scaling in float32: rounding VAE-space values back to half precision would lose detail.
        var latent = job.latent.converted(to: .float32)
        if case .packed = try job.layout() {
            do {
                latent = try FluxPacking.unpack(
                    latent, height: job.options.height, width: job.options.width, spatialFactor: job.preset.spatialFactor)
            } catch {
                throw BackendError.invalidLatent(error.description)
            }
        }
        if job.space == .diffusion { latent = job.preset.toVAESpace(latent) }
        do {
            return try engine.decode(latent, preset: job.preset)
        } catch {
            throw BackendError.failed(error.description)
        }
    }

    /// What the protocol would have answered for these options.
    public static func payload(_ pixels: Tensor, options: DecodeOptions, isVideo: Bool) throws -> DecodedPayload {
        switch options.outputType {
        case .pt:
            return .tensor(pixels)
        case .ptUInt8:
            return .tensor(try TensorImages.uint8Tensor(from: TensorImages.images(from: pixels)))
        case .mp4:
            return .video(try MP4Encoder.encode(TensorImages.images(from: pixels)))
        case .pil:
            let images = try TensorImages.images(from: pixels)
            if images.count == 1, !isVideo {
                let bytes = options.imageFormat == .png ? try PNGCodec.encode(images[0]) : try JPEGCodec.encode(images[0])
                return .image(options.imageFormat == .png ? .png : .jpeg, bytes)
            }
            // Several images (a batch or video frames) travel as one uint8 tensor.
            return .tensor(try TensorImages.uint8Tensor(from: images))
        }
    }
}
