import Foundation
import ImageCodecs
import LatentKit
import NativeVAE
import RemoteDecode
import Wire

/// An image file read for encoding, at the size it is encoded at: its PNG bytes (the file's own
/// when it is a PNG left as it is) and its pixels.
struct ImageInput: Sendable {
    let png: [UInt8]
    let image: RGBImage
    /// The file's size when it was resized.
    let resizedFrom: (width: Int, height: Int)?

    /// Resized as `VaeImageProcessor` does: to `size` when given, else down to multiples of 8.
    static func read(_ path: String, size: (width: Int, height: Int)?) throws -> ImageInput {
        let url = URL(fileURLWithPath: path)
        let bytes = [UInt8](try FileSystemError.accessing(url, for: .reading) { try Data(contentsOf: url) })
        guard let kind = ImageDecoder.kind(of: bytes) else { throw ImageCodecError.notAnImage }
        let original = try ImageDecoder.decode(bytes, complete: true)
        let image =
            if let size, size.width != original.width || size.height != original.height {
                try LanczosResize.resize(original, width: size.width, height: size.height)
            } else if size == nil {
                try EncoderInput.resized(original)
            } else {
                original
            }
        guard image != original || kind != .png else { return ImageInput(png: bytes, image: image, resizedFrom: nil) }
        return ImageInput(
            png: try PNGCodec.encode(image), image: image,
            resizedFrom: image == original ? nil : (original.width, original.height))
    }
}

/// The answer's shape is not what the preset's encoder makes.
struct UnexpectedLatent: Error, CustomStringConvertible {
    let shape: [Int]
    let expected: [Int]

    var description: String {
        "the endpoint answered a latent of shape \(shape.shapeText), not \(expected.shapeText): is it the encoder of this preset?"
    }
}

/// Where `latentty encode` encodes: an endpoint, as diffusers' `remote_encode` would call it, or
/// an encoder on this machine. Either way the latent comes back in diffusion space.
enum ImageEncoder: Sendable {
    case remote(RemoteClient, configuration: RemoteConfiguration, preset: Preset)
    /// `sampleSeed`: draw from the distribution with this seed instead of taking its mean.
    case local(any EncodeEngine, preset: Preset, sampleSeed: UInt64?)

    /// The latent and what made it (the endpoint that answered, or the local engine).
    func encode(_ input: ImageInput) async throws -> (latent: Tensor, via: String) {
        switch self {
        case .remote(let client, let configuration, let preset):
            // diffusers sends PIL's PNG; a PNG file goes as it is, a JPEG as the PNG of its pixels.
            let request = EncodeRequest(input: .png(input.png), scalingFactor: preset.scalingFactor, shiftFactor: preset.shiftFactor)
            let (latent, endpoint) = try await client.encode(request, configuration: configuration)
            let expected = [1, preset.latentChannels, input.image.height / 8, input.image.width / 8]
            guard latent.shape == expected else { throw UnexpectedLatent(shape: latent.shape, expected: expected) }
            return (latent, endpoint)
        case .local(let engine, let preset, let sampleSeed):
            let encoded = try engine.encode(EncoderInput.tensor(from: input.image), preset: preset)
            let latent = try sampleSeed.map { try encoded.sample(seed: $0) } ?? encoded.mean
            return (preset.toDiffusionSpace(latent), "local \(engine.name)")
        }
    }
}
