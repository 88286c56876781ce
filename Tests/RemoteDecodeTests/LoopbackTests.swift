import DecodePipeline
import Foundation
import ImageCodecs
import NativeVAE
import RemoteDecode
import Testing
import Wire
import Workbench

@testable import LatentKit

/// latentty's client against latentty's server over loopback, for every output type and preset.
@Suite struct LoopbackTests {
    let client = RemoteClient(sleeper: RecordingSleeper().sleeper)

    struct Case: Sendable, CustomStringConvertible {
        let preset: Preset
        let shape: [Int]
        let dtype: DType
        let output: OutputType
        let format: ImageFormat
        var height: Int? = nil
        var width: Int? = nil
        var description: String { "\(preset.id) \(shape) \(output.rawValue)/\(format.rawValue)" }
    }

    static let cases: [Case] = [
        Case(preset: .sd15, shape: [1, 4, 64, 64], dtype: .float16, output: .pil, format: .jpg),
        Case(preset: .sd15, shape: [1, 4, 64, 64], dtype: .float16, output: .pil, format: .png),
        Case(preset: .sd15, shape: [1, 4, 64, 64], dtype: .float32, output: .pt, format: .jpg),
        Case(preset: .sd15, shape: [1, 4, 64, 48], dtype: .float16, output: .ptUInt8, format: .jpg),
        Case(preset: .sdxl, shape: [1, 4, 128, 128], dtype: .bfloat16, output: .pil, format: .png),
        Case(preset: .flux, shape: [1, 1024, 64], dtype: .bfloat16, output: .pil, format: .jpg, height: 512, width: 512),
        Case(preset: .flux, shape: [1, 384, 64], dtype: .bfloat16, output: .pt, format: .jpg, height: 256, width: 384),
        Case(preset: .flux, shape: [1, 16, 32, 32], dtype: .float32, output: .pil, format: .png),
        Case(preset: .hunyuanVideo, shape: [1, 16, 3, 8, 8], dtype: .float16, output: .pt, format: .jpg),
        Case(preset: .hunyuanVideo, shape: [1, 16, 3, 8, 8], dtype: .float16, output: .ptUInt8, format: .jpg),
        Case(preset: .hunyuanVideo, shape: [1, 16, 2, 8, 8], dtype: .float16, output: .mp4, format: .jpg),
    ]

    func job(_ item: Case) throws -> DecodeJob {
        DecodeJob(
            name: "x", source: JobSource(), latent: try seededLatent(item.shape, item.dtype), preset: item.preset,
            backend: .remote(endpoints: []),
            options: DecodeOptions(outputType: item.output, imageFormat: item.format, height: item.height, width: item.width))
    }

    @Test(arguments: cases)
    func decodesOverLoopbackLikeTheLocalEngine(item: Case) async throws {
        let job = try job(item)
        let request = try job.request()
        let (payload, _) = try await withLatenttyServer { url in
            try await client.decode(request, configuration: RemoteConfiguration(endpoints: [url]))
        }
        // The same engine run locally must give the same answer the server gave.
        let local = try LocalDecoder(engine: Latent2RGBEngine()).decode(request, preset: item.preset, accept: request.parameters.accept)
            .payload
        if item.output != .mp4 { #expect(payload == local) }
        let pixelsHigh = (item.height ?? (item.shape.count == 3 ? 0 : item.shape[item.shape.count - 2] * 8))
        switch (payload, item.output) {
        case (.image(let kind, let bytes), .pil):
            #expect(kind == (item.format == .png ? .png : .jpeg))
            let image = try ImageDecoder.decode(bytes)
            #expect(image.height == (pixelsHigh == 0 ? 512 : pixelsHigh))
            if item.format == .png, case .image(_, let localBytes) = local {
                #expect(try ImageDecoder.decode(localBytes) == image)
            }
        case (.tensor(let tensor), .pt):
            #expect(tensor.dtype == item.dtype)
            #expect(tensor.shape[1] == 3)
            if case .tensor(let localTensor) = local { #expect(tensor == localTensor.converted(to: item.dtype)) }
            if item.preset.isVideo { #expect(tensor.shape == [1, 3, 9, 64, 64]) }
        case (.tensor(let tensor), .ptUInt8):
            #expect(tensor.dtype == .uint8 && tensor.shape.last == 3)
            #expect(payload == local)
            if item.preset.isVideo { #expect(tensor.shape == [9, 64, 64, 3]) } else { #expect(tensor.shape == [1, 512, 384, 3]) }
        case (.video(let bytes), .mp4):
            #expect(Array(bytes[4..<8]) == Array("ftyp".utf8))
        default:
            Issue.record("unexpected payload for \(item)")
        }
    }

    @Test func vaeSpaceLatentsTravelWithoutFactors() async throws {
        var job = try job(Self.cases[2])
        job.space = .vae
        job.work = .decode(Preset.sd15.toVAESpace(job.latent))
        let request = try job.request()
        #expect(request.parameters.scalingFactor == nil)
        let scaled = try self.job(Self.cases[2]).request()
        let (a, b) = try await withLatenttyServer { url in
            let configuration = RemoteConfiguration(endpoints: [url])
            return (
                try await client.decode(request, configuration: configuration).payload,
                try await client.decode(scaled, configuration: configuration).payload
            )
        }
        guard case .tensor(let unscaled) = a, case .tensor(let reference) = b else {
            Issue.record("expected tensors")
            return
        }
        let difference = zip(unscaled.floatValues(), reference.floatValues()).map { abs($0 - $1) }.max() ?? 1
        #expect(difference < 1e-4)
    }
}
