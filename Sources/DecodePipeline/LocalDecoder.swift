import Foundation
import ImageCodecs
import LatentKit
import NativeVAE
import Wire

/// The one decode path on this machine, shared by `latentty decode --local`, the workbench and
/// `latentty serve`: a protocol request (latent bytes + diffusers' parameters) goes through the
/// same checks, the same move to VAE space, the same engine and the same answer encoding however
/// it arrived, so a request gives the same bytes whichever way it is run.
public struct LocalDecoder: Sendable {
    public let engine: any DecodeEngine

    public init(engine: any DecodeEngine) {
        self.engine = engine
    }

    /// A decoded answer and the seconds spent decoding (`decode`) and encoding it (`encode`).
    public struct Answer: Sendable {
        public var payload: DecodedPayload
        public var timings: [String: Double]
    }

    /// Decodes `request` for `preset`. `accept` is the request's `Accept` header (content
    /// negotiation for `pil`); `others` are the presets named in shape-mismatch advice. A video's
    /// frames go to `frames` as the engine finishes them, and an `mp4` answer is encoded as they
    /// come, so it is ready just after the last frame.
    public func decode(
        _ request: DecodeRequest, preset: Preset, accept: String? = nil, others: [Preset] = [], frames: FrameBatchSink? = nil
    ) throws(DecodeFailure) -> Answer {
        let start = Date()
        let latent = try Self.vaeLatent(request, preset: preset, others: others)
        try Self.checkOutputType(request.parameters, preset: preset)
        let video = request.parameters.outputType == .mp4 ? StreamedVideo() : nil
        let pixels: Tensor
        do {
            if frames == nil, video == nil {
                pixels = try engine.decode(latent, preset: preset)
            } else {
                pixels = try engine.decode(
                    latent, preset: preset, frames: Self.converting(batch: latent.shape[0], to: [video?.take, frames].compactMap { $0 }))
            }
        } catch {
            video?.cancel()
            throw .engine(error)
        }
        let decoded = Date()
        let payload: DecodedPayload
        do {
            if let streamed = try video?.finish() {
                payload = .video(streamed)
            } else {
                payload = try Self.answer(pixels, parameters: request.parameters, accept: accept)
            }
        } catch let failure as DecodeFailure {
            throw failure
        } catch {
            throw .encoding(String(describing: error))
        }
        return Answer(payload: payload, timings: ["decode": decoded.timeIntervalSince(start), "encode": Date().timeIntervalSince(decoded)])
    }

    /// An engine's frame sink that converts each clip's new frames to images once, numbers them
    /// among the whole result's frames (`batch` clips), and hands them to `sinks`.
    static func converting(batch: Int, to sinks: [FrameBatchSink]) -> FrameSink {
        let started = Date()
        return { decoded in
            guard let images = try? TensorImages.frames(fromClip: decoded.pixels), !images.isEmpty else { return }
            let batch = FrameBatch(
                first: decoded.item * decoded.total + decoded.first, total: batch * decoded.total, images: images,
                elapsed: Date().timeIntervalSince(started))
            for sink in sinks { sink(batch) }
        }
    }

    /// The request's latent unpacked (packed Flux) and in VAE space, as float32: scaling in half
    /// precision would lose detail. The server decodes `latents / scaling_factor + shift_factor`;
    /// a missing factor means it was already applied, and `do_scaling` asks for the preset's own.
    public static func vaeLatent(_ request: DecodeRequest, preset: Preset, others: [Preset] = []) throws(DecodeFailure) -> Tensor {
        let parameters = request.parameters
        var latent: Tensor
        do {
            latent = try request.latent().converted(to: .float32)
        } catch {
            throw .invalidRequest(error.description)
        }
        let layout: LatentLayout
        do {
            layout = try preset.layout(of: latent.shape, dtype: parameters.dtype, others: others)
        } catch {
            throw .invalidRequest(error.description)
        }
        if case .packed = layout {
            do {
                latent = try FluxPacking.unpack(
                    latent, height: parameters.height, width: parameters.width, spatialFactor: preset.spatialFactor)
            } catch {
                throw .invalidRequest(error.description)
            }
        }
        if let scaling = parameters.scalingFactor {
            let shift = Float(parameters.shiftFactor ?? 0)
            latent = latent.mapValues { $0 / Float(scaling) + shift }
        } else if parameters.doScaling {
            latent = preset.toVAESpace(latent)
        }
        return latent
    }

    static func checkOutputType(_ parameters: DecodeParameters, preset: Preset) throws(DecodeFailure) {
        if parameters.outputType == .pil, preset.isVideo {
            throw .invalidRequest("output_type=pil is for image models; ask \(preset.name) for mp4 or pt")
        }
        if parameters.outputType == .mp4, !preset.isVideo {
            throw .invalidRequest("output_type=mp4 is for video models; \(preset.name) answers pil or pt")
        }
    }

    /// Float pixels in [-1, 1] as the protocol answers them: `pt` in the latent's dtype (as the
    /// reference server does), `pt` + `partial_postprocess` as uint8 `[N,H,W,3]`, `mp4` through
    /// ffmpeg, `pil` as one JPEG or PNG (an explicit image type in `Accept` wins over `image_format`).
    public static func answer(_ pixels: Tensor, parameters: DecodeParameters, accept: String?) throws(DecodeFailure) -> DecodedPayload {
        do {
            switch parameters.outputType {
            case .pt where parameters.partialPostprocess:
                return .tensor(try TensorImages.uint8Tensor(from: TensorImages.images(from: pixels)))
            case .pt:
                return .tensor(pixels.converted(to: parameters.dtype))
            case .mp4:
                return .video(try MP4Encoder.encode(TensorImages.images(from: pixels)))
            case .pil:
                let images = try TensorImages.images(from: pixels)
                guard images.count == 1 else {
                    throw DecodeFailure.invalidRequest(
                        "output_type=pil returns one image; this batch has \(images.count) — send them one at a time or ask for pt")
                }
                return wantsPNG(parameters, accept: accept)
                    ? .image(.png, try PNGCodec.encode(images[0])) : .image(.jpeg, try JPEGCodec.encode(images[0]))
            }
        } catch let failure as DecodeFailure {
            throw failure
        } catch {
            throw .encoding(String(describing: error))
        }
    }

    static func wantsPNG(_ parameters: DecodeParameters, accept: String?) -> Bool {
        switch accept?.lowercased() {
        case let value? where value.contains("image/png"): true
        case let value? where value.contains("image/jpeg"): false
        default: parameters.imageFormat == .png
        }
    }
}
