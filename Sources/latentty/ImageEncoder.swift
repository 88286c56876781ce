import DecodePipeline
import Foundation
import ImageCodecs
import LatentKit
import NativeVAE
import RemoteDecode
import Wire

/// Bytes a pixel takes on its way to a local encoder, however it is tiled: the decoded RGB, its
/// resize and PNG (3 each), the float tensor made of it, the encoder's float copy of that and the
/// image plane it cuts from the copy (12 each).
let encoderBytesPerPixel = 45

extension EncoderImage {
    /// The image file at `path` for encoding, at `size` when given. With a `budget` (a local
    /// encoder's --max-memory), the header's size is checked against it before any pixel is decoded.
    static func read(_ path: String, size: (width: Int, height: Int)?, budget: ByteSize? = nil) throws -> EncoderImage {
        let url = URL(fileURLWithPath: path)
        let bytes = [UInt8](try FileSystemError.accessing(url, for: .reading) { try Data(contentsOf: url) })
        return try EncoderImage(bytes: bytes, size: size) { width, height in
            guard let budget, width * height * encoderBytesPerPixel > budget.bytes else { return }
            throw OverBudget(width: width, height: height, needed: width * height * encoderBytesPerPixel, budget: budget)
        }
    }
}

/// An image refused from its header's size, before its pixels are decoded: a local encode of it
/// would need more than --max-memory.
struct OverBudget: Error, CustomStringConvertible {
    let width: Int
    let height: Int
    let needed: Int
    let budget: ByteSize

    var description: String {
        "the image is \(width)×\(height) pixels, which need about \(ByteCount.text(needed)) to read and encode, over --max-memory \(budget.text); raise --max-memory or encode a smaller image"
    }
}

/// Where `latentty encode` encodes: an endpoint, as diffusers' `remote_encode` would call it, or
/// an encoder on this machine. Either way the latent comes back in diffusion space.
enum ImageEncoder: Sendable {
    case remote(RemoteClient, configuration: RemoteConfiguration, preset: Preset)
    /// `sampleSeed`: draw from the distribution with this seed instead of taking its mean.
    case local(any EncodeEngine, preset: Preset, sampleSeed: UInt64?)

    /// The latent and what made it (the endpoint that answered, or the local engine).
    func encode(_ input: EncoderImage) async throws -> (latent: Tensor, via: String) {
        switch self {
        case .remote(let client, let configuration, let preset):
            let (latent, endpoint) = try await client.encode(
                png: input.png, width: input.image.width, height: input.image.height, preset: preset, configuration: configuration)
            return (latent, endpoint)
        case .local(let engine, let preset, let sampleSeed):
            // Seconds of blocking CPU work: off the cooperative pool, as every local decode is.
            let latent = try await onOwnThread { () throws -> Tensor in
                let encoded = try engine.encode(EncoderInput.tensor(from: input.image), preset: preset)
                return try sampleSeed.map { try encoded.sample(seed: $0) } ?? encoded.mean
            }
            return (preset.toDiffusionSpace(latent), "local \(engine.name)")
        }
    }
}
