import ImageCodecs
import LatentKit
import NativeVAE
import Wire

/// The encode side of the protocol (`remote_encode`, `POST /encode`) as a pure function of query
/// and body: an image file (diffusers sends PNG) or a raw `[B,3,H,W]` tensor in, the encoder's
/// mean out, scaled by the request's factors as diffusers' client expects, as a raw tensor. Images
/// are resized down to multiples of 8 as `VaeImageProcessor.preprocess` does; tensors must fit.
public struct EncodeService: Sendable {
    /// Nil when the server has no encoder; `/encode` then answers 501 with `unavailableReason`.
    public let engine: (any EncodeEngine)?
    /// Why there is no encoder (the engine has none, the weights hold none), for the 501's words.
    public let unavailableReason: String?
    /// The preset the encoder's weights belong to; encoding needs one, since no input names it.
    public let preset: Preset?
    /// The most memory one request may ask for (the float32 images the encoder takes).
    public var maxWorkBytes = Int.max

    public init(engine: (any EncodeEngine)?, preset: Preset?, unavailableReason: String? = nil) {
        self.engine = engine
        self.preset = preset
        self.unavailableReason = unavailableReason
    }

    public func handle(query: String, body: [UInt8]) -> WireResponse {
        let request: EncodeRequest
        do {
            request = try EncodeRequest.parse(query: query, body: body)
        } catch {
            return ErrorBody.response(status: 400, message: error.description)
        }
        guard let engine else {
            let reason = unavailableReason.map { " (\($0))" } ?? ""
            return ErrorBody.response(
                status: 501,
                message:
                    "this server has no encoder\(reason): start it with --engine full or tiny and weights that hold an encoder, or send encode requests elsewhere"
            )
        }
        guard let preset else {
            return ErrorBody.response(
                status: 400, message: "this server encodes only when started with --preset, which names the model the image is encoded for")
        }
        let images: Tensor
        do {
            images = try Self.images(of: request.input, maxWorkBytes: maxWorkBytes)
        } catch {
            return error.answer
        }
        do {
            let latent = try engine.encode(images, preset: preset).mean
            return EncodeRequest.response(Self.scaled(latent, request))
        } catch {
            let status = if case .failed = error { 500 } else { 400 }
            return ErrorBody.response(status: status, message: error.description)
        }
    }

    /// `(z − shift) · scaling` with the factors the request sent: diffusers applies each only when
    /// given, and its client takes the answer as it comes.
    static func scaled(_ latent: Tensor, _ request: EncodeRequest) -> Tensor {
        guard request.scalingFactor != nil || request.shiftFactor != nil else { return latent }
        let scale = Float(request.scalingFactor ?? 1)
        let shift = Float(request.shiftFactor ?? 0)
        return latent.mapValues { ($0 - shift) * scale }
    }

    struct Refusal: Error {
        let answer: WireResponse

        init(_ status: Int, _ message: String) {
            answer = ErrorBody.response(status: status, message: message)
        }
    }

    /// The request's images as float32 `[B,3,H,W]` in [-1, 1], refused before decoding or
    /// converting anything larger than the server takes on.
    static func images(of input: EncodeRequest.Input, maxWorkBytes: Int) throws(Refusal) -> Tensor {
        switch input {
        case .png(let bytes):
            do {
                return EncoderInput.tensor(
                    from: try EncoderImage.pixels(of: bytes) { width, height in
                        try checkWork(batch: 1, height: height, width: width, limit: maxWorkBytes)
                    })
            } catch let refusal as Refusal {
                throw refusal
            } catch ImageCodecError.notAnImage {
                throw Refusal(400, "the body is not a PNG or JPEG image; send a tensor with shape and dtype in the query instead")
            } catch let failure as EncoderInput.Failure {
                throw Refusal(400, failure.description)
            } catch {
                throw Refusal(400, "the image cannot be read: \(error)")
            }
        case .tensor(let tensor):
            let (batch, height, width) = (tensor.shape[0], tensor.shape[2], tensor.shape[3])
            try checkWork(batch: batch, height: height, width: width, limit: maxWorkBytes)
            do {
                try EncoderInput.check(width: width, height: height)
            } catch {
                throw Refusal(400, error.description)
            }
            return tensor.dtype == .float32 ? tensor : tensor.converted(to: .float32)
        }
    }

    /// 422: well formed, but more pixels than this server's limit.
    static func checkWork(batch: Int, height: Int, width: Int, limit: Int) throws(Refusal) {
        let bytes = [batch, 3, height, width, 4].reduce(1) { WorkEstimate.saturatingProduct($0, $1) }
        guard bytes <= limit else {
            throw Refusal(
                422,
                "this request asks to encode \(batch) × \(width)×\(height) pixels, about \(ByteCount.text(bytes)) to hold; this server's limit is \(ByteCount.text(limit)) per request (--max-work-mb): send a smaller image or split the batch"
            )
        }
    }
}
