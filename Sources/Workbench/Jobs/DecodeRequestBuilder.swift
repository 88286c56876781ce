import Foundation
import LatentKit
import Wire

extension DecodeJob {
    /// Checks the latent against its preset and says how its axes read.
    func layout() throws(JobFailure) -> LatentLayout {
        do {
            return try preset.layout(of: latent.shape, dtype: latent.dtype)
        } catch {
            throw .invalidLatent(error.description)
        }
    }

    /// The request diffusers would send for this job — sent as it is to an endpoint, or handed to
    /// the local decoder, so both give the same answer. Diffusion-space latents carry the preset's
    /// factors (the decoder divides them out); VAE-space latents carry none ("already applied").
    /// `pil` returns one image, so a batch or a video asks for `pt` with partial post-processing
    /// instead: uint8 frames that are saved as images all the same.
    public func request() throws(JobFailure) -> DecodeRequest {
        let layout = try layout()
        var parameters = DecodeParameters(imageFormat: options.imageFormat, shape: latent.shape, dtype: latent.dtype)
        let severalImages = (latent.shape.first ?? 1) > 1 || preset.isVideo
        parameters.apply(options.outputType == .pil && severalImages ? .ptUInt8 : options.outputType)
        if space == .diffusion {
            parameters.scalingFactor = preset.scalingFactor
            parameters.shiftFactor = preset.shiftFactor
        }
        if case .packed(_, let tokens, _) = layout {
            let (h, w): (Int, Int)
            do {
                (h, w) = try FluxPacking.latentSize(
                    tokens: tokens, height: options.height, width: options.width, spatialFactor: preset.spatialFactor)
            } catch {
                throw .invalidLatent(error.description)
            }
            parameters.height = options.height ?? h * preset.spatialFactor
            parameters.width = options.width ?? w * preset.spatialFactor
        }
        return DecodeRequest(latent: latent, parameters: parameters)
    }
}
