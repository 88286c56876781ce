import Crypto
import Foundation
import ImageCodecs
import Testing

@testable import LatentKit
@testable import Wire

/// Requests built exactly as diffusers 0.42.1 builds them, checked against its recorded traffic.
@Suite struct ConformanceTests {
    struct Recorded: Decodable {
        let path: String
        let headers: [String: String]
        let body_len: Int
        let body_sha256: String
        let `case`: String
    }

    static let recorded: [String: Recorded] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/protocol/diffusers_requests.json")
        let cases = (try? JSONDecoder().decode([Recorded].self, from: Data(contentsOf: url))) ?? []
        return Dictionary(uniqueKeysWithValues: cases.map { ($0.case, $0) })
    }()

    static func randn(_ shape: [Int], _ dtype: DType) throws -> Tensor {
        var generator = TorchGenerator(seed: 13)
        return try generator.randn(shape: shape, dtype: dtype)
    }

    /// The `remote_decode(...)` call behind each recorded case.
    static func decodeCall(_ name: String) throws -> DecodeRequest {
        let sd = try randn([1, 4, 64, 64], .float16)
        var parameters = DecodeParameters(shape: [], dtype: .float32, scalingFactor: 0.18215)
        var latent = sd
        switch name {
        case "sd_pil_jpg": break
        case "sd_pil_png": parameters.imageFormat = .png
        case "sd_pt_processor": parameters.apply(.pt)
        case "sd_pt_partial_postprocess": parameters.apply(.ptUInt8)
        case "sd_no_scaling":
            // `tensor=sd / 0.18215, do_scaling=False`: torch divides in float32 and rounds back to half.
            latent = sd.mapValues { $0 / Float(0.18215) }
            parameters.scalingFactor = nil
            parameters.apply(.pt)
        case "flux_packed_pil":
            latent = try randn([1, 4096, 64], .bfloat16)
            parameters = DecodeParameters(shape: [], dtype: .float32, scalingFactor: 0.3611, shiftFactor: 0.1159, height: 1024, width: 1024)
        case "hunyuan_mp4", "hunyuan_pt_return_pt":
            latent = try randn([1, 16, 3, 40, 64], .float16)
            parameters = DecodeParameters(shape: [], dtype: .float32, scalingFactor: 0.476986)
            parameters.apply(name == "hunyuan_mp4" ? .mp4 : .pt)
        default: Issue.record("unknown case \(name)")
        }
        return DecodeRequest(latent: latent, parameters: parameters)
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static let decodeCases = [
        "sd_pil_jpg", "sd_pil_png", "sd_pt_processor", "sd_pt_partial_postprocess", "sd_no_scaling", "flux_packed_pil", "hunyuan_mp4",
        "hunyuan_pt_return_pt",
    ]

    @Test(arguments: decodeCases)
    func decodeRequestMatchesDiffusersByteForByte(name: String) throws {
        let recorded = try #require(Self.recorded[name])
        let wire = try Self.decodeCall(name).wire
        #expect("/?" + wire.queryString == recorded.path)
        #expect(wire.headers["Content-Type"] == recorded.headers["Content-Type"])
        #expect(wire.headers["Accept"] == recorded.headers["Accept"])
        #expect(wire.body.count == recorded.body_len)
        #expect(Self.sha256(wire.body) == recorded.body_sha256)
        #expect(wire.url(endpoint: "http://127.0.0.1:8000/") == "http://127.0.0.1:8000" + recorded.path)
    }

    @Test func decodeRequestsParseBackOnTheServerSide() throws {
        for name in Self.decodeCases {
            let request = try Self.decodeCall(name)
            let parsed = try DecodeRequest.parse(query: request.wire.queryString, body: request.body)
            #expect(parsed == request, "\(name)")
        }
    }

    @Test func encodeTensorRequestMatchesDiffusers() throws {
        let recorded = try #require(Self.recorded["encode_tensor"])
        let zeros = try Tensor(dtype: .float32, shape: [1, 3, 32, 64], bytes: [UInt8](repeating: 0, count: 24576))
        let wire = EncodeRequest(input: .tensor(zeros), scalingFactor: 0.3611, shiftFactor: 0.1159).wire
        #expect("/encode?" + wire.queryString == recorded.path)
        #expect(wire.headers["Content-Type"] == nil && recorded.headers["Content-Type"] == nil)
        #expect(Self.sha256(wire.body) == recorded.body_sha256)
    }

    @Test func encodeImageRequestMatchesDiffusers() throws {
        let recorded = try #require(Self.recorded["encode_pil_png"])
        let image = try RGBImage(width: 64, height: 32, pixels: Array([[UInt8]](repeating: [200, 100, 50], count: 64 * 32).joined()))
        let wire = EncodeRequest(input: .png(try PNGCodec.encode(image)), scalingFactor: 0.18215).wire
        #expect("/encode?" + wire.queryString == recorded.path)
        #expect(wire.headers["Content-Type"] == nil)
        // PIL's zlib settings differ from libspng's, so the bytes differ; the image must not.
        #expect(try PNGCodec.decode(wire.body).image == image)
    }

    @Test func encodeResponseRoundTrips() throws {
        var generator = TorchGenerator(seed: 1)
        let latent = try generator.randn(shape: [1, 4, 4, 8])
        #expect(try EncodeRequest.parseResponse(EncodeRequest.response(latent)) == latent)
    }
}
