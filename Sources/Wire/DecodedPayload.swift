import Foundation
import ImageCodecs
import LatentKit

/// What a decode returns, whichever side of the wire we are on.
public enum DecodedPayload: Sendable, Equatable {
    /// `pil`: an encoded JPEG or PNG.
    case image(ImageDecoder.Kind, [UInt8])
    /// `pt`: float `[B,3,H,W]` / `[B,3,F,H,W]` in [-1, 1], or uint8 `[N,H,W,3]` after partial post-processing.
    case tensor(Tensor)
    /// `mp4`: an MP4 file.
    case video([UInt8])

    /// Reads an endpoint's answer to a request made with `parameters`.
    public static func parse(_ response: WireResponse, for parameters: DecodeParameters) throws(WireError) -> DecodedPayload {
        try ErrorBody.check(response)
        switch parameters.outputType {
        case .pil:
            guard let kind = ImageDecoder.kind(of: response.body) else {
                throw .unexpectedBody(
                    expected: "a \(parameters.imageFormat == .png ? "PNG" : "JPEG") image", received: ErrorBody.describe(response))
            }
            if let bounds = AnswerBounds(parameters), let (width, height) = ImageDecoder.dimensions(of: response.body),
                width > bounds.width || height > bounds.height
            {
                // Checked before decoding: a small PNG can claim gigabytes of pixels.
                throw .implausibleAnswer(
                    "a \(width)×\(height) image, but this request can only give up to \(bounds.width)×\(bounds.height)")
            }
            if kind == .jpeg {
                // Saved as sent, so it must be whole now: a 200 with half a JPEG is a broken answer.
                do {
                    _ = try JPEGCodec.decode(response.body, complete: true)
                } catch {
                    throw .unexpectedBody(expected: "a complete JPEG image", received: "one that does not decode (\(error))")
                }
            }
            return .image(kind, response.body)
        case .mp4:
            guard response.body.count >= 8, Array(response.body[4..<8]) == Array("ftyp".utf8) else {
                throw .unexpectedBody(expected: "an MP4 video", received: ErrorBody.describe(response))
            }
            return .video(response.body)
        case .pt:
            return .tensor(try tensor(from: response, bounds: AnswerBounds(parameters)))
        }
    }

    /// A tensor answer: raw bytes with `shape` (a JSON list) and `dtype` headers, checked against
    /// `bounds` (what the request can produce) and the body's length before anything is allocated.
    public static func tensor(from response: WireResponse, bounds: AnswerBounds?) throws(WireError) -> Tensor {
        guard let shapeText = response.headers["shape"] else {
            if ImageDecoder.kind(of: response.body) != nil || response.headers["Content-Type"]?.hasPrefix("text/html") == true {
                throw .unexpectedBody(expected: "a tensor", received: ErrorBody.describe(response))
            }
            throw .missingHeader("shape")
        }
        guard let dtypeText = response.headers["dtype"] else { throw .missingHeader("dtype") }
        let shape = try parseShape(shapeText)
        guard let dtype = DType(userName: dtypeText.replacingOccurrences(of: "torch.", with: "")) else {
            throw .unknownDType(dtypeText)
        }
        guard let count = shapeElementCount(shape), case (let expected, false) = count.multipliedReportingOverflow(by: dtype.byteSize)
        else {
            throw .badHeader(name: "shape", value: shapeText)
        }
        if let bounds, let problem = bounds.check(shape: shape, dtype: dtype) { throw .implausibleAnswer(problem) }
        guard expected == response.body.count else {
            throw .bodyLengthMismatch(shape: shape, dtype: dtype, expected: expected, actual: response.body.count)
        }
        do {
            return try Tensor(dtype: dtype, shape: shape, bytes: response.body)
        } catch {
            throw .bodyLengthMismatch(shape: shape, dtype: dtype, expected: expected, actual: response.body.count)
        }
    }

    static func parseShape(_ text: String) throws(WireError) -> [Int] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { throw .badHeader(name: "shape", value: text) }
        let inner = trimmed.dropFirst().dropLast()
        if inner.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            guard let size = Int(part.trimmingCharacters(in: .whitespaces)), size >= 0 else {
                throw .badHeader(name: "shape", value: text)
            }
            shape.append(size)
        }
        return shape
    }

    /// The server's answer carrying this payload.
    public var wireResponse: WireResponse {
        switch self {
        case .image(let kind, let bytes):
            return WireResponse(status: 200, headers: [Header("Content-Type", kind == .png ? "image/png" : "image/jpeg")], body: bytes)
        case .video(let bytes):
            return WireResponse(status: 200, headers: [Header("Content-Type", "video/mp4")], body: bytes)
        case .tensor(let tensor):
            return WireResponse(status: 200, headers: tensorHeaders(tensor), body: tensor.bytes)
        }
    }
}

/// `shape` as `json.dumps` writes it (`[1, 3, 512, 512]`) and `dtype` as torch names it.
func tensorHeaders(_ tensor: Tensor) -> [Header] {
    [
        Header("Content-Type", "tensor/binary"),
        Header("shape", "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]"),
        Header("dtype", tensor.dtype.rawValue),
    ]
}
