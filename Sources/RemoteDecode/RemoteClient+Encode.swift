import LatentKit
import Wire

extension RemoteClient {
    /// An encode call (`remote_encode`): the same retries, failover, token rules and cancellation
    /// as a decode; the answer is the scaled latent, cut off as it arrives when it grows beyond
    /// what the input could encode to.
    public func encode(
        _ request: EncodeRequest, configuration: RemoteConfiguration, events: @escaping @Sendable (RemoteEvent) -> Void = { _ in }
    ) async throws(RemoteError) -> (latent: Tensor, endpoint: String) {
        let (latent, endpoint) = try await call(
            request.wire, answerBound: Self.answerBound(request), configuration: configuration, events: events
        ) { response throws(WireError) in try EncodeRequest.parseResponse(response) }
        return (latent, endpoint)
    }

    /// `remote_encode` of one `width`×`height` image for `preset`, as diffusers sends it: its PNG
    /// with the preset's factors. The latent (diffusion space) must have the shape this preset's
    /// encoder makes of the image; any other is refused as another model's answer.
    public func encode(
        png: [UInt8], width: Int, height: Int, preset: Preset, configuration: RemoteConfiguration,
        events: @escaping @Sendable (RemoteEvent) -> Void = { _ in }
    ) async throws(RemoteError) -> (latent: Tensor, endpoint: String) {
        let request = EncodeRequest(input: .png(png), scalingFactor: preset.scalingFactor, shiftFactor: preset.shiftFactor)
        let (latent, endpoint) = try await encode(request, configuration: configuration, events: events)
        let expected = [1, preset.latentChannels, height / 8, width / 8]
        guard latent.shape == expected else {
            throw .rejected(
                endpoint: endpoint,
                reason:
                    "answered a latent of shape \(latent.shape.shapeText), not \(expected.shapeText): is it the encoder of \(preset.name)?")
        }
        return (latent, endpoint)
    }

    /// The largest answer an honest endpoint sends, from the pixels a PNG's header states or the
    /// tensor holds: 64 float32 channels per 8×8 block is 4 bytes a pixel; twice that leaves room.
    static func answerBound(_ request: EncodeRequest) -> Int {
        let pixels: Int
        switch request.input {
        case .png(let bytes):
            guard let size = pngSize(bytes) else { return 1 << 20 }
            pixels = size.width * size.height
        case .tensor(let tensor):
            pixels = (shapeElementCount(tensor.shape) ?? 0) / 3
        }
        return max(1 << 20, pixels * 8)
    }

    /// A PNG's IHDR width and height, read without decoding.
    private static func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard bytes.count >= 24, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        func bigEndian(_ offset: Int) -> Int { bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (bigEndian(16), bigEndian(20))
    }
}
