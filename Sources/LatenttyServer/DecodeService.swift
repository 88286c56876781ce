import Foundation
import ImageCodecs
import LatentKit
import NativeVAE
import Wire

/// The decode side of the Hybrid Inference protocol as a pure function of query, Accept and body:
/// parse and check the request, bring the latent to VAE space, run the engine, and answer in the
/// requested output type. Everything a client can get wrong becomes a 400 with a JSON reason.
public struct DecodeService: Sendable {
    public let engine: any DecodeEngine
    /// Fixes the preset; nil means each request's shape picks one.
    public let preset: Preset?
    public let catalog: PresetCatalog

    public init(engine: any DecodeEngine, preset: Preset? = nil, catalog: PresetCatalog = PresetCatalog()) {
        self.engine = engine
        self.preset = preset
        self.catalog = catalog
    }

    struct Rejection: Error {
        let status: Int
        let message: String
    }

    public func handle(query: String, accept: String?, body: [UInt8]) -> WireResponse {
        do {
            return try decode(query: query, accept: accept, body: body).wireResponse
        } catch let rejection as Rejection {
            return ErrorBody.response(status: rejection.status, message: rejection.message)
        } catch {
            return ErrorBody.response(status: 400, message: String(describing: error))
        }
    }

    func decode(query: String, accept: String?, body: [UInt8]) throws -> DecodedPayload {
        let request = try DecodeRequest.parse(query: query, body: body)
        let parameters = request.parameters
        // Scaling in float32: rounding VAE-space values back to half precision would lose detail.
        var latent = try request.latent().converted(to: .float32)
        let preset = try choosePreset(for: latent)
        let layout: LatentLayout
        do {
            layout = try preset.layout(of: latent.shape, dtype: latent.dtype, others: catalog.presets)
        } catch {
            throw Rejection(status: 400, message: error.description)
        }
        if case .packed = layout {
            do {
                latent = try FluxPacking.unpack(
                    latent, height: parameters.height, width: parameters.width, spatialFactor: preset.spatialFactor)
            } catch {
                throw Rejection(status: 400, message: error.description)
            }
        }
        // `latents / scaling_factor + shift_factor`; a missing factor means it was already applied.
        if let scaling = parameters.scalingFactor {
            let shift = Float(parameters.shiftFactor ?? 0)
            latent = latent.mapValues { $0 / Float(scaling) + shift }
        } else if parameters.doScaling {
            latent = preset.toVAESpace(latent)
        }
        if parameters.outputType == .pil, preset.isVideo {
            throw Rejection(status: 400, message: "output_type=pil is for image models; ask \(preset.name) for mp4 or pt")
        }
        if parameters.outputType == .mp4, !preset.isVideo {
            throw Rejection(status: 400, message: "output_type=mp4 is for video models; \(preset.name) answers pil or pt")
        }
        let pixels = try engine.decode(latent, preset: preset)
        return try respond(pixels, parameters: parameters, accept: accept, dtype: request.parameters.dtype)
    }

    private func choosePreset(for latent: Tensor) throws -> Preset {
        if let preset { return preset }
        guard let suggestion = Preset.suggestions(for: latent.shape, among: catalog.presets).first else {
            throw Rejection(
                status: 400, message: "no preset takes a latent of shape \(latent.shape.shapeText); start the server with --preset")
        }
        return suggestion
    }

    private func respond(_ pixels: Tensor, parameters: DecodeParameters, accept: String?, dtype: DType) throws -> DecodedPayload {
        switch parameters.outputType {
        case .pt where parameters.partialPostprocess:
            return .tensor(try TensorImages.uint8Tensor(from: TensorImages.images(from: pixels)))
        case .pt:
            // Answer in the dtype the latent came in, as the reference server does.
            return .tensor(pixels.converted(to: dtype))
        case .mp4:
            do {
                return .video(try MP4Encoder.encode(TensorImages.images(from: pixels)))
            } catch {
                throw Rejection(status: 500, message: String(describing: error))
            }
        case .pil:
            let images = try TensorImages.images(from: pixels)
            guard images.count == 1 else {
                throw Rejection(
                    status: 400,
                    message: "output_type=pil returns one image; this batch has \(images.count) — send them one at a time or ask for pt")
            }
            // Content negotiation: an explicit image type in Accept wins over image_format.
            let wantsPNG: Bool
            switch accept?.lowercased() {
            case let value? where value.contains("image/png"): wantsPNG = true
            case let value? where value.contains("image/jpeg"): wantsPNG = false
            default: wantsPNG = parameters.imageFormat == .png
            }
            return wantsPNG ? .image(.png, try PNGCodec.encode(images[0])) : .image(.jpeg, try JPEGCodec.encode(images[0]))
        }
    }
}
