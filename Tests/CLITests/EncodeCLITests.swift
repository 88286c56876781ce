import Foundation
import Hummingbird
import ImageCodecs
import LatenttyServer
import Logging
import NativeVAE
import ServiceLifecycle
import Testing
import VideoTestSupport

@testable import LatentKit

/// `latentty encode` against latentty's server in this process, whose `/encode` runs
/// `PoolingEncoder`, so every latent written is known to the value.
@Suite(.serialized) struct EncodeCLITests {
    static func withEncodeServer<T: Sendable>(_ body: (String) async throws -> T) async throws -> T {
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let app = DecodeServer.application(
            service: DecodeService(engine: Latent2RGBEngine(), preset: .sd15),
            encoder: EncodeService(engine: PoolingEncoder(), preset: .sd15), configuration: ServerConfiguration(port: 0),
            log: { _ in }, onListening: { portSink.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
        let server = Task { try await group.run() }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        let result = try await body("http://127.0.0.1:\(port)/encode")
        await group.triggerGracefulShutdown()
        _ = try? await server.value
        return result
    }

    /// The binary on a thread of its own: blocking a cooperative thread on it would starve the
    /// server that answers it.
    static func run(_ arguments: [String]) async throws -> CLITests.Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try CLITests.run(arguments) }) }
        }
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-encode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func image(width: Int, height: Int) throws -> RGBImage {
        try RGBImage(width: width, height: height, pixels: (0..<width * height * 3).map { index -> UInt8 in UInt8((index * 29) % 256) })
    }

    /// What the server answers for `image`, in diffusion space as `encode` writes it.
    static func expected(_ image: RGBImage) throws -> Tensor {
        Preset.sd15.toDiffusionSpace(try PoolingEncoder().encode(EncoderInput.tensor(from: image), preset: .sd15).mean)
    }

    @Test func aBatchWritesEveryGoodFileAndNamesTheBrokenOne() async throws {
        let folder = try Self.folder()
        let (first, second) = (try Self.image(width: 16, height: 8), try Self.image(width: 32, height: 16))
        let firstPNG = try PNGCodec.encode(first)
        try Data(firstPNG).write(to: folder.appendingPathComponent("first.png"))
        try Data(try PNGCodec.encode(second)).write(to: folder.appendingPathComponent("second.png"))
        try Data(firstPNG.prefix(firstPNG.count - 30)).write(to: folder.appendingPathComponent("broken.png"))
        // A JPEG goes as the PNG of its pixels, so the latent is that of the decoded JPEG.
        let jpeg = try JPEGCodec.encode(try Self.image(width: 16, height: 16))
        try Data(jpeg).write(to: folder.appendingPathComponent("third.jpg"))
        // Half a JPEG would decode as its top rows over grey; an encoder must refuse it instead.
        let bigJPEG = try JPEGCodec.encode(try Self.image(width: 64, height: 48))
        try Data(bigJPEG.prefix(bigJPEG.count / 2)).write(to: folder.appendingPathComponent("half.jpg"))
        // An odd size is resized as diffusers does: its latent is that of diffusers' own resize.
        let fixtures = CLITests.repository.appendingPathComponent("Tests/Fixtures/encode")
        try FileManager.default.copyItem(
            at: fixtures.appendingPathComponent("resize_in_37x21.png"), to: folder.appendingPathComponent("odd.png"))
        let resized = try PNGCodec.decode(Array(try Data(contentsOf: fixtures.appendingPathComponent("resize_lanczos_32x16.png")))).image
        let out = folder.appendingPathComponent("latents")
        let result = try await Self.withEncodeServer { url in
            try await Self.run(
                ["encode"]
                    + ["first.png", "broken.png", "second.png", "third.jpg", "half.jpg", "odd.png"].map {
                        folder.appendingPathComponent($0).path
                    }
                    + ["--preset", "sd15", "--endpoint", url, "--out", out.path])
        }
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.filter { $0.contains("broken.png: the PNG is cut short or corrupt") }.count == 1, "\(result.stderr)")
        #expect(lines.filter { $0.contains("half.jpg: the JPEG is cut short or corrupt") }.count == 1, "\(result.stderr)")
        for (name, image) in [("first", first), ("second", second), ("third", try JPEGCodec.decode(jpeg)), ("odd", resized)] {
            let file = try LatentFile.read(contentsOf: out.appendingPathComponent("\(name).safetensors"))
            #expect(try file.latent().tensor == (try Self.expected(image)))
            #expect(file.metadata["latentty.preset"] == "sd15")
        }
        #expect(result.stdout.contains("resized 37×21 → 32×16"))
        for broken in ["broken", "half"] {
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("\(broken).safetensors").path))
        }
        let decoded = try await Self.run([
            "decode", out.appendingPathComponent("second.safetensors").path, "--local", "--engine", "approx", "--out",
            folder.appendingPathComponent("decoded").path,
        ])
        #expect(decoded.status == 0)
        let picture = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("decoded").path)
        #expect(picture.contains { $0.hasPrefix("second") })
    }

    @Test func comfyLatentAndNumPyOutputsReadBack() async throws {
        let folder = try Self.folder()
        let image = try Self.image(width: 16, height: 16)
        try Data(try PNGCodec.encode(image)).write(to: folder.appendingPathComponent("picture.png"))
        try await Self.withEncodeServer { url in
            for format in ["latent", "npy"] {
                let result = try await Self.run([
                    "encode", folder.appendingPathComponent("picture.png").path, "--preset", "sd15", "--endpoint", url, "--format",
                    format, "--out", folder.path, "--json",
                ])
                #expect(result.status == 0)
                let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
                #expect(report?.first?["shape"] as? [Int] == [1, 4, 2, 2])
                let file = try LatentFile.read(contentsOf: folder.appendingPathComponent("picture.\(format)"))
                #expect(try file.latent().tensor == (try Self.expected(image)))
                if format == "latent" { #expect(file.space == .diffusion && file.notes.isEmpty) }
            }
        }
    }

    @Test func presetsListTheEncodeEndpoints() throws {
        let result = try CLITests.run(["presets"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("encode endpoint: https://qc6479g0aac6qwy9.us-east-1.aws.endpoints.huggingface.cloud/"))
    }

    @Test func twoInputsWithOneNameWriteOneAndSaySo() async throws {
        let folder = try Self.folder()
        let (first, second) = (folder.appendingPathComponent("a"), folder.appendingPathComponent("b"))
        let image = try Self.image(width: 8, height: 8)
        for sub in [first, second] {
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            try Data(try PNGCodec.encode(image)).write(to: sub.appendingPathComponent("x.png"))
        }
        let out = folder.appendingPathComponent("out")
        let result = try await Self.withEncodeServer { url in
            try await Self.run([
                "encode", first.appendingPathComponent("x.png").path, second.appendingPathComponent("x.png").path, "--preset", "sd15",
                "--endpoint", url, "--out", out.path, "--concurrency", "3",
            ])
        }
        #expect(result.status == 1)
        #expect(result.stderr.contains("b/x.png: x.safetensors is written from "), "\(result.stderr)")
        #expect(try LatentFile.read(contentsOf: out.appendingPathComponent("x.safetensors")).latent().tensor == (try Self.expected(image)))
    }

    /// `--size` resizes every image to the size asked for (PIL's Lanczos), not only down to multiples of 8.
    @Test func sizeResizesToTheSizeAskedFor() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("odd.png")
        try FileManager.default.copyItem(at: fixturesFolder.appendingPathComponent("encode/resize_in_37x21.png"), to: input)
        let original = try PNGCodec.decode(Array(try Data(contentsOf: input))).image
        let out = folder.appendingPathComponent("latents")
        let result = try await Self.withEncodeServer { url in
            try await Self.run(["encode", input.path, "--preset", "sd15", "--endpoint", url, "--size", "16x8", "--out", out.path])
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("resized 37×21 → 16×8"))
        let written = try LatentFile.read(contentsOf: out.appendingPathComponent("odd.safetensors")).latent().tensor
        #expect(written.shape == [1, 4, 1, 2])
        #expect(written == (try Self.expected(try LanczosResize.resize(original, width: 16, height: 8))))
    }

    @Test func sizeMustBeMultiplesOfEight() throws {
        let result = try CLITests.run(["encode", "x.png", "--preset", "sd15", "--size", "100x50"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--size 100x50: sides must be multiples of 8, such as 96x48"))
    }

    @Test func withoutAnEncoderTheCommandSaysWhy() throws {
        let folder = try Self.folder()
        let png = folder.appendingPathComponent("picture.png")
        try Data(try PNGCodec.encode(try Self.image(width: 8, height: 8))).write(to: png)
        let local = try CLITests.run(["encode", png.path, "--preset", "sd15", "--local", "--out", folder.path])
        #expect(local.status == 1)
        #expect(local.stderr.contains("the approx engine (latent2rgb) only decodes"))
        let video = try CLITests.run(["encode", png.path, "--preset", "hunyuanvideo", "--out", folder.path])
        #expect(video.status == 1)
        #expect(video.stderr.contains("preset hunyuanvideo has no encode endpoint"))
        let remoteSample = try CLITests.run(["encode", png.path, "--preset", "sd15", "--sample", "--out", folder.path])
        #expect(remoteSample.status == 64)
        #expect(remoteSample.stderr.contains("--sample draws on this machine"))
    }

    static let fixtures = CLITests.repository.appendingPathComponent("Tests/Fixtures")

    static func reference(_ name: String, in file: String) throws -> Tensor {
        let archive = try SafetensorsArchive(contentsOf: fixtures.appendingPathComponent("encode/\(file)"))
        let entry = try #require(archive.entries.first { $0.name == name })
        return archive.tensor(for: entry)
    }

    /// `--local` runs latentty's own encoders: the written latent is what diffusers' encode of the
    /// fixture image gives — its mean scaled as an endpoint answers it, its seed-21 sample scaled the
    /// same way, TAESD's latent as it is; with --tile on, or auto under a --max-memory the untiled
    /// encode (2.4 MB) is over, diffusers' tiled encode scaled — within 1e-4.
    @Test(arguments: [
        ("full", "models/tiny_kl4.safetensors", [], "remote_tiny_kl4_gradient", Float(1)),
        ("full", "models/tiny_kl4.safetensors", ["--sample", "--seed", "21"], "sample_tiny_kl4_gradient_seed21", Float(0.18215)),
        ("tiny", "encode/taesd_random.safetensors", [], "taesd_gradient", Float(1)),
        ("full", "models/tiny_kl4.safetensors", ["--tile", "on"], "tiled_mean_tiny_kl4_gradient", Float(0.18215)),
        ("full", "models/tiny_kl4.safetensors", ["--max-memory", "1M"], "tiled_mean_tiny_kl4_gradient", Float(0.18215)),
    ])
    func localEncodersWriteDiffusersLatents(engine: String, weights: String, options: [String], reference: String, scale: Float) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try fixtureModelFolder(weights, in: folder)
        let result = try CLITests.run(
            [
                "encode", Self.fixtures.appendingPathComponent("encode/image_gradient.png").path, "--preset", "sd15", "--local",
                "--engine", engine, "--vae", model.path, "--out", folder.path,
            ] + options)
        #expect(result.status == 0, "\(result.stderr)")
        let written = try LatentFile.read(contentsOf: folder.appendingPathComponent("image_gradient.safetensors")).latent().tensor
        let expected = try Self.reference(
            reference, in: reference.hasPrefix("tiled_") ? "encode_tiled.safetensors" : "encode_cases.safetensors"
        )
        .mapValues { $0 * scale }
        #expect(written.shape == expected.shape)
        let error = zip(written.floatValues(), expected.floatValues()).map { abs($0 - $1) }.max() ?? .infinity
        #expect(error <= 1e-4, "max |Δ| \(error)")
    }

    /// Images too large are refused from their headers, before any pixel is decoded (these headers'
    /// pixels are not in the files: decoding would fail otherwise), each in one line naming the file
    /// and the limit; the other files are still encoded and the exit status is 1.
    @Test func imagesTooLargeAreRefusedFromTheirHeadersAndTheBatchGoesOn() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try fixtureModelFolder("models/tiny_kl4.safetensors", in: folder)
        let gradient = Self.fixtures.appendingPathComponent("encode/image_gradient.png")
        for name in ["a.png", "b.png"] { try FileManager.default.copyItem(at: gradient, to: folder.appendingPathComponent(name)) }
        // IHDR's width and height are the big-endian words at bytes 16 and 20.
        var png = try PNGCodec.encode(try Self.image(width: 8, height: 8))
        png.replaceSubrange(16..<24, with: [0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30])
        try Data(png).write(to: folder.appendingPathComponent("huge.png"))
        // SOF0 holds the height, then the width, three bytes after its length.
        var jpeg = try JPEGCodec.encode(try Self.image(width: 8, height: 8))
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [0x2E, 0xE0, 0x2E, 0xE0])
        try Data(jpeg).write(to: folder.appendingPathComponent("big.jpg"))
        let out = folder.appendingPathComponent("latents")
        let result = try CLITests.run(
            ["encode"] + ["a.png", "huge.png", "big.jpg", "b.png"].map { folder.appendingPathComponent($0).path }
                + ["--preset", "sd15", "--local", "--engine", "full", "--vae", model.path, "--out", out.path])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(
            lines.contains { $0.hasSuffix("huge.png: the image claims 30000×30000 pixels, beyond the 16384-pixel side limit") },
            "\(result.stderr)")
        #expect(
            lines.contains {
                $0.hasSuffix(
                    "big.jpg: the image is 12000×12000 pixels, which need about 6.0 GB to read and encode, over --max-memory 2G; raise --max-memory or encode a smaller image"
                )
            }, "\(result.stderr)")
        let expected = try Self.reference("remote_tiny_kl4_gradient", in: "encode_cases.safetensors")
        for name in ["a", "b"] {
            let written = try LatentFile.read(contentsOf: out.appendingPathComponent("\(name).safetensors")).latent().tensor
            let error = zip(written.floatValues(), expected.floatValues()).map { abs($0 - $1) }.max() ?? .infinity
            #expect(error <= 1e-4, "\(name): max |Δ| \(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("huge.safetensors").path))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("big.safetensors").path))
    }
}
