import Foundation
import ImageCodecs
import Testing

@testable import LatentKit
@testable import Wire

@Suite struct ResponseTests {
    let pil = DecodeParameters(shape: [1, 4, 8, 8], dtype: .float16)
    var pt: DecodeParameters {
        var parameters = pil
        parameters.apply(.pt)
        return parameters
    }
    var mp4: DecodeParameters {
        var parameters = pil
        parameters.apply(.mp4)
        return parameters
    }

    func image() throws -> RGBImage { try RGBImage(width: 4, height: 2, pixels: [UInt8](repeating: 90, count: 24)) }

    @Test func imagesAreRecognisedByMagicBytes() throws {
        let png = try PNGCodec.encode(image())
        let jpeg = try JPEGCodec.encode(image())
        // The Content-Type does not matter; the bytes do.
        #expect(
            try DecodedPayload.parse(WireResponse(status: 200, headers: [Header("Content-Type", "image/jpeg")], body: png), for: pil)
                == .image(.png, png))
        #expect(try DecodedPayload.parse(WireResponse(status: 200, headers: [], body: jpeg), for: pil) == .image(.jpeg, jpeg))
        #expect(throws: WireError.unexpectedBody(expected: "a JPEG image", received: "3 bytes")) {
            try DecodedPayload.parse(WireResponse(status: 200, headers: [], body: [1, 2, 3]), for: pil)
        }
    }

    @Test(arguments: [[1, 3, 16, 16], [1, 3, 5, 16, 16]])
    func floatTensorsRoundTrip(shape: [Int]) throws {
        // A video answer comes from a video request: a 5-D latent of 2 frames.
        var request = pt
        if shape.count == 5 { request.shape = [1, 16, 2, 2, 2] }
        let values = (0..<shapeElementCount(shape)!).map { Float($0 % 7) / 3 - 1 }
        let tensor = try Tensor(values: values, shape: shape, dtype: .float16)
        let response = DecodedPayload.tensor(tensor).wireResponse
        #expect(response.headers["shape"] == "[" + shape.map(String.init).joined(separator: ", ") + "]")
        #expect(response.headers["dtype"] == "float16")
        #expect(try DecodedPayload.parse(response, for: request) == .tensor(tensor))
    }

    @Test func uint8PartialPostprocessTensor() throws {
        var pt = pt
        pt.shape = [2, 4, 8, 8]
        let tensor = try Tensor(dtype: .uint8, shape: [2, 4, 4, 3], bytes: (0..<96).map { UInt8($0) })
        let response = WireResponse(status: 200, headers: [Header("shape", "[2, 4, 4, 3]"), Header("dtype", "uint8")], body: tensor.bytes)
        #expect(try DecodedPayload.parse(response, for: pt) == .tensor(tensor))
        let torchName = WireResponse(
            status: 200, headers: [Header("shape", "[2,4,4,3]"), Header("dtype", "torch.uint8")], body: tensor.bytes)
        #expect(try DecodedPayload.parse(torchName, for: pt) == .tensor(tensor))
    }

    @Test func mp4IsRecognisedByItsFtypBox() throws {
        let mp4Bytes: [UInt8] = [0, 0, 0, 0x18] + Array("ftypisom".utf8) + [UInt8](repeating: 0, count: 12)
        #expect(try DecodedPayload.parse(WireResponse(status: 200, headers: [], body: mp4Bytes), for: mp4) == .video(mp4Bytes))
        let html = Array("<html><title>Loading</title></html>".utf8)
        #expect(throws: WireError.unexpectedBody(expected: "an MP4 video", received: "an HTML page (Loading)")) {
            try DecodedPayload.parse(WireResponse(status: 200, headers: [], body: html), for: mp4)
        }
    }

    @Test func tensorAnswersWithBrokenHeadersAreCaught() throws {
        let body = [UInt8](repeating: 0, count: 16)
        #expect(throws: WireError.missingHeader("shape")) {
            try DecodedPayload.parse(WireResponse(status: 200, headers: [Header("dtype", "float32")], body: body), for: pt)
        }
        #expect(throws: WireError.missingHeader("dtype")) {
            try DecodedPayload.parse(WireResponse(status: 200, headers: [Header("shape", "[4]")], body: body), for: pt)
        }
        #expect(throws: WireError.badHeader(name: "shape", value: "1,4")) {
            try DecodedPayload.parse(
                WireResponse(status: 200, headers: [Header("shape", "1,4"), Header("dtype", "float32")], body: body), for: pt)
        }
        #expect(throws: WireError.bodyLengthMismatch(shape: [1, 3, 2, 2], dtype: .float32, expected: 48, actual: 16)) {
            try DecodedPayload.parse(
                WireResponse(status: 200, headers: [Header("shape", "[1, 3, 2, 2]"), Header("dtype", "float32")], body: body), for: pt)
        }
        #expect(throws: WireError.unknownDType("complex64")) {
            try DecodedPayload.parse(
                WireResponse(status: 200, headers: [Header("shape", "[4]"), Header("dtype", "complex64")], body: body), for: pt)
        }
        let page = Array("<!DOCTYPE html><html><head><title>Service Unavailable</title></head></html>".utf8)
        #expect(throws: WireError.unexpectedBody(expected: "a tensor", received: "an HTML page (Service Unavailable)")) {
            try DecodedPayload.parse(WireResponse(status: 200, headers: [Header("Content-Type", "text/html")], body: page), for: pt)
        }
    }

    @Test func errorBodiesBecomeOneSentence() {
        let json = WireResponse(status: 400, headers: [], body: Array(#"{"error": "Unknown dtype: float8"}"#.utf8))
        #expect(throws: WireError.server(status: 400, message: "Unknown dtype: float8")) { try DecodedPayload.parse(json, for: pil) }
        let hosted = WireResponse(status: 503, headers: [], body: Array(#"{"message": "Service is scaled to zero"}"#.utf8))
        #expect(ErrorBody.message(from: hosted) == "Service is scaled to zero")
        let html = WireResponse(
            status: 404, headers: [],
            body: Array("<html>\n<head><title>404 Not Found</title></head>\n<body><h1>Not Found</h1></body></html>".utf8))
        #expect(ErrorBody.message(from: html) == "404 Not Found")
        let error = WireError.server(status: 404, message: "404 Not Found")
        #expect(error.description.contains("endpoint URL may have changed"))
        let noTitle = WireResponse(status: 502, headers: [], body: Array("<html><body><h1>Bad\n gateway</h1></body></html>".utf8))
        #expect(ErrorBody.message(from: noTitle) == "Bad gateway")
        let plain = WireResponse(status: 500, headers: [], body: Array(String(repeating: "x ", count: 400).utf8))
        #expect(ErrorBody.message(from: plain).count == 301)
        #expect(ErrorBody.response(status: 400, message: "bad \"shape\"").body == Array(#"{"error":"bad \"shape\""}"#.utf8))
    }
}
