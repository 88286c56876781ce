import Foundation
import ImageCodecs
import LatenttyServer
import NativeVAE
import RemoteDecode
import Testing
import VideoTestSupport
import Wire

@testable import LatentKit

/// `POST /encode` on latentty's own server, with `PoolingEncoder` standing in for a real encoder:
/// requests as diffusers' `remote_encode` sends them, answers as its client reads them.
@Suite struct ServerEncodeTests {
    let client = ServerTestClient()

    /// Channels that differ, and pixels that differ within each 8×8 block.
    static let image: RGBImage = {
        let (width, height) = (16, 8)
        let pixels: [UInt8] = (0..<width * height * 3).map { index in UInt8((index * 37 + index / 3) % 256) }
        return try! RGBImage(width: width, height: height, pixels: pixels)
    }()

    /// What diffusers sends: the request's query and body, no content headers.
    func post(_ request: EncodeRequest, to url: String) async throws -> WireResponse {
        let wire = request.wire
        return try await client.transport.perform(wire, url: wire.url(endpoint: url + "encode"))
    }

    static func expected(_ images: Tensor, scaling: Float, shift: Float) throws -> Tensor {
        try PoolingEncoder().encode(images.converted(to: .float32), preset: .sd15).mean.mapValues { ($0 - shift) * scaling }
    }

    @Test func aPNGComesBackAsTheEncodersMeanScaled() async throws {
        let png = try PNGCodec.encode(Self.image)
        try await withLatenttyServer(preset: .sd15, encoder: PoolingEncoder()) { url in
            let response = try await post(EncodeRequest(input: .png(png), scalingFactor: 0.18215), to: url)
            #expect(response.status == 200)
            #expect(response.headers["shape"] == "[1, 4, 1, 2]")
            #expect(response.headers["dtype"] == "float32")
            let latent = try EncodeRequest.parseResponse(response)
            #expect(latent == (try Self.expected(EncoderInput.tensor(from: Self.image), scaling: 0.18215, shift: 0)))
            let metrics = String(decoding: try await client.get(url + "metrics").body, as: UTF8.self)
            #expect(metrics.contains("\nlatentty_encodes_total 1\n"))
            #expect(metrics.contains("\nlatentty_decode_seconds_count 0\n"))
        }
    }

    @Test func aTensorBatchIsEncodedWithBothFactors() async throws {
        let images = try seededLatent([2, 3, 8, 16], .float16).mapValues { max(-1, min(1, $0 / 3)) }
        try await withLatenttyServer(preset: .sd15, encoder: PoolingEncoder()) { url in
            let response = try await post(EncodeRequest(input: .tensor(images), scalingFactor: 0.3611, shiftFactor: 0.1159), to: url)
            #expect(response.status == 200)
            #expect(response.headers["shape"] == "[2, 4, 1, 2]")
            #expect(try EncodeRequest.parseResponse(response) == (try Self.expected(images, scaling: 0.3611, shift: 0.1159)))
        }
    }

    @Test func theClientGetsTheSameLatentThroughRetriesAndAll() async throws {
        let png = try PNGCodec.encode(Self.image)
        try await withLatenttyServer(preset: .sd15, encoder: PoolingEncoder()) { url in
            let (latent, _) = try await RemoteClient().encode(
                EncodeRequest(input: .png(png), scalingFactor: 0.5, shiftFactor: 0.25),
                configuration: RemoteConfiguration(endpoints: [url + "encode"]))
            #expect(latent == (try Self.expected(EncoderInput.tensor(from: Self.image), scaling: 0.5, shift: 0.25)))
        }
    }

    @Test func badInputIs400WithASentence() async throws {
        let png = try PNGCodec.encode(Self.image)
        let tiny = try PNGCodec.encode(try RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 9, count: 4 * 4 * 3)))
        let oddTensor = try Tensor(values: [Float](repeating: 0, count: 3 * 8 * 12), shape: [1, 3, 8, 12])
        let fourChannels = try Tensor(values: [Float](repeating: 0, count: 4 * 64), shape: [1, 4, 8, 8])
        try await withLatenttyServer(preset: .sd15, encoder: PoolingEncoder()) { url in
            let truncated = try await post(EncodeRequest(input: .png(Array(png.prefix(png.count - 30)))), to: url)
            #expect(truncated.status == 400)
            #expect(client.errorMessage(truncated)?.hasPrefix("the image cannot be read: the PNG is cut short or corrupt") == true)
            let pattern: [UInt8] = (0..<64 * 48 * 3).map { (index: Int) -> UInt8 in UInt8((index * 37 + index / 5) % 256) }
            let large = try RGBImage(width: 64, height: 48, pixels: pattern)
            let jpeg = try JPEGCodec.encode(large)
            let brokenJPEG = try await post(EncodeRequest(input: .png(Array(jpeg.prefix(jpeg.count / 2)))), to: url)
            #expect(brokenJPEG.status == 400)
            #expect(client.errorMessage(brokenJPEG)?.contains("the JPEG is cut short or corrupt") == true)
            let notAnImage = try await post(EncodeRequest(input: .png(Array("hello".utf8))), to: url)
            #expect(notAnImage.status == 400)
            #expect(
                client.errorMessage(notAnImage)
                    == "the body is not a PNG or JPEG image; send a tensor with shape and dtype in the query instead")
            let wrongShape = try await post(EncodeRequest(input: .tensor(fourChannels)), to: url)
            #expect(wrongShape.status == 400)
            #expect(client.errorMessage(wrongShape) == "query parameter shape=[1, 4, 8, 8] is not [B, 3, H, W] (a batch of RGB images)")
            let small = try await post(EncodeRequest(input: .png(tiny)), to: url)
            #expect(small.status == 400)
            #expect(client.errorMessage(small) == "the image is 4×4; the encoder needs sides of at least 8 pixels")
            let odd = try await post(EncodeRequest(input: .tensor(oddTensor)), to: url)
            #expect(odd.status == 400)
            #expect(
                client.errorMessage(odd)
                    == "the images are 12×8; the encoder takes sides that are multiples of 8, such as 8×8: send an image file (it is resized as diffusers does) or resize the tensor"
            )
        }
    }

    /// diffusers' own resize of the same file (Tests/Fixtures/encode/GENERATE_RESIZE.py) is what gets encoded.
    @Test func anOddSizedImageIsResizedAsDiffusersDoes() async throws {
        let folder = Fixtures.protocolFolder.deletingLastPathComponent().appendingPathComponent("encode")
        let png = Array(try Data(contentsOf: folder.appendingPathComponent("resize_in_37x21.png")))
        let resized = try PNGCodec.decode(Array(try Data(contentsOf: folder.appendingPathComponent("resize_lanczos_32x16.png")))).image
        try await withLatenttyServer(preset: .sd15, encoder: PoolingEncoder()) { url in
            let response = try await post(EncodeRequest(input: .png(png), scalingFactor: 0.18215), to: url)
            #expect(response.status == 200)
            #expect(response.headers["shape"] == "[1, 4, 2, 4]")
            #expect(
                try EncodeRequest.parseResponse(response)
                    == (try Self.expected(EncoderInput.tensor(from: resized), scaling: 0.18215, shift: 0)))
        }
    }

    @Test func tooManyPixelsIs422BeforeDecoding() async throws {
        let png = try PNGCodec.encode(Self.image)
        try await withLatenttyServer(preset: .sd15, encoder: PoolingEncoder(), configuration: ServerConfiguration(maxWorkBytes: 1000)) {
            url in
            let response = try await post(EncodeRequest(input: .png(png)), to: url)
            #expect(response.status == 422)
            #expect(client.errorMessage(response)?.contains("--max-work-mb") == true)
        }
    }

    @Test func withoutAnEncoderOrAPresetTheServerSaysSo() async throws {
        let png = try PNGCodec.encode(Self.image)
        try await withLatenttyServer(preset: .sd15) { url in
            let response = try await post(EncodeRequest(input: .png(png)), to: url)
            #expect(response.status == 501)
            #expect(client.errorMessage(response)?.hasPrefix("this server has no encoder") == true)
        }
        try await withLatenttyServer(encoder: PoolingEncoder()) { url in
            let response = try await post(EncodeRequest(input: .png(png)), to: url)
            #expect(response.status == 400)
            #expect(client.errorMessage(response)?.contains("--preset") == true)
        }
    }
}
