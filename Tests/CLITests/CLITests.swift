import Foundation
import ImageCodecs
import Testing

@testable import LatentKit

/// The built `latentty` binary, driven as a person would from a shell.
@Suite(.serialized) struct CLITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Beside the test bundle in the build folder.
    static let binary: URL = {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("latentty")
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return repository.appendingPathComponent(".build/debug/latentty")
    }()

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String]) throws -> Outcome {
        let raw = try runRaw(arguments)
        return Outcome(status: raw.status, stdout: String(decoding: raw.stdout, as: UTF8.self), stderr: raw.stderr)
    }

    /// What the binary wrote, byte for byte (pictures), and its status.
    struct RawOutcome {
        let status: Int32
        let stdout: [UInt8]
        let stderr: String
    }

    /// The binary with `arguments` and stdout a pipe; `environment` sets (or, with nil, removes)
    /// variables of this process's environment for it.
    static func runRaw(_ arguments: [String], environment changes: [String: String?] = [:]) throws -> RawOutcome {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = repository
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in changes { environment[name] = value }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errorReader = Thread.detachedRead(err)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return RawOutcome(status: process.terminationStatus, stdout: Array(output), stderr: errorReader.wait())
    }

    /// `latentty serve --port 0`, up until `body` returns; yields its URL.
    static func withServe<T>(port: Int = 0, _ body: (String) throws -> T) throws -> T {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port), "--engine", "approx"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var seen = ""
        while !seen.contains("/ (engine") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { throw POSIXError(.ECONNREFUSED) }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = seen.range(of: #"http://127\.0\.0\.1:\d+/"#, options: .regularExpression) else { throw POSIXError(.EINVAL) }
        return try body(String(seen[range]))
    }

    @Test func generateWritesExactlyTorchRandn() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let output = directory.appendingPathComponent("x.safetensors").path
        let result = try Self.run(["generate", "--preset", "sd15", "--size", "512x512", "--seed", "13", "--dtype", "float16", "-o", output])
        #expect(result.status == 0)
        let written = try LatentFile.read(contentsOf: URL(fileURLWithPath: output)).latent().tensor
        let reference = try SafetensorsArchive(
            contentsOf: Self.repository.appendingPathComponent("Tests/Fixtures/torch_randn_cpu.safetensors")
        )
        .tensor(named: "seed13_1x4x64x64_float16")
        #expect(written == reference)
    }

    @Test func inspectReportsAsJSON() throws {
        let result = try Self.run(["inspect", "Tests/Fixtures/formats/latent_dict.pt", "--preset", "flux", "--json"])
        #expect(result.status == 0)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(report?["latentKey"] as? String == "latents")
        #expect(report?["presetMismatch"] as? String == "Flux expects 16 channels; this latent has 4 — SD v1.5 or SDXL?")
        let missing = try Self.run(["inspect", "no/such/file.safetensors"])
        #expect(missing.status != 0 && missing.stderr.contains("cannot read no/such/file.safetensors: it does not exist"))
    }

    @Test func serveAndDecodeGivePNGsAndReportFailuresWithoutLosingResults() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-cli-\(UUID().uuidString)")
        let broken = directory.appendingPathComponent("broken.safetensors")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]).write(to: broken)
        try Self.withServe { url in
            let result = try Self.run([
                "decode", "Samples/sd15_512_seed13.safetensors", broken.path, "Samples/flux_512_packed_seed13.safetensors",
                "--endpoint", url, "--out", directory.path, "--format", "png",
            ])
            #expect(result.status == 1)
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 3)
            #expect(lines.contains { $0.hasPrefix("failed  \(broken.path): ") })
            #expect(lines.filter { $0.hasPrefix("done    ") }.count == 2)
            for name in ["sd15_512_seed13", "flux_512_packed_seed13"] {
                let png = try PNGCodec.decode(Array(try Data(contentsOf: directory.appendingPathComponent(name + ".png"))))
                #expect(png.image.width == 512 && png.image.height == 512)
            }
            let json = try Self.run([
                "decode", "Samples/hunyuanvideo_256_9f_seed13.safetensors", "--endpoint", url, "--out", directory.path, "--json",
            ])
            #expect(json.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
            #expect(object?["state"] as? String == "done")
            #expect((object?["outputs"] as? [String])?.first?.hasSuffix(".mp4") == true)
        }
    }

    @Test func decodeLocallyWithoutAnyServer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-cli-\(UUID().uuidString)")
        let result = try Self.run([
            "decode", "Samples/sd15_512_seed7.npy", "--local", "--engine", "approx", "--out", directory.path, "--output-type", "pt",
        ])
        #expect(result.status == 0)
        let tensor = try LatentFile.read(contentsOf: directory.appendingPathComponent("sd15_512_seed7.safetensors")).latent().tensor
        #expect(tensor.shape == [1, 3, 512, 512])
        let unreachable = try Self.run([
            "decode", "Samples/sd15_512_seed13.safetensors", "--endpoint", "http://127.0.0.1:9/", "--attempts", "1", "--out",
            directory.path,
        ])
        #expect(unreachable.status == 1 && unreachable.stdout.contains("connection refused at http://127.0.0.1:9/"))
    }
}

extension Thread {
    /// Reads a pipe to its end on another thread (so a full stderr pipe cannot block the child).
    final class PipeReader: @unchecked Sendable {
        // Written once by the reading thread before `done` is signalled, read after.
        private var text = ""
        private let done = DispatchSemaphore(value: 0)

        init(_ pipe: Pipe) {
            Thread.detachNewThread { [self] in
                text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                done.signal()
            }
        }

        func wait() -> String {
            done.wait()
            return text
        }
    }

    static func detachedRead(_ pipe: Pipe) -> PipeReader { PipeReader(pipe) }
}

@Suite(.serialized) struct NativeEngineCLITests {
    @Test func decodeWithTheFullAndTinyEngines() throws {
        let models = CLITests.repository.appendingPathComponent("Tests/Fixtures/models")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-vae-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("vae"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: models.appendingPathComponent("tiny_kl4.safetensors"),
            to: folder.appendingPathComponent("vae/diffusion_pytorch_model.safetensors"))
        try FileManager.default.copyItem(
            at: models.appendingPathComponent("tiny_kl4.config.json"), to: folder.appendingPathComponent("vae/config.json"))
        let out = folder.appendingPathComponent("out")
        let full = try CLITests.run([
            "decode", "Tests/Fixtures/models/tiny_kl4_latent.safetensors", "--preset", "sd15", "--space", "vae", "--local", "--engine",
            "full",
            "--vae", folder.path, "--output-type", "pt", "--out", out.path, "--threads", "1", "--verbose",
        ])
        #expect(full.status == 0, "\(full.stdout)\(full.stderr)")
        #expect(full.stderr.contains("native decoder: cpu isa") && full.stderr.contains(", 1 threads"), "\(full.stderr)")
        #expect(full.stderr.contains("native kernel: convolution: latentty winograd F(4×4,3×3)"), "\(full.stderr)")
        #expect(full.stderr.contains("native kernel: convolution: "), "\(full.stderr)")
        #expect(full.stderr.contains("native decoder: weights loaded in "), "\(full.stderr)")
        #expect(full.stderr.contains("native kernel: matmul: "), "\(full.stderr)")
        let decoded = try LatentFile.read(contentsOf: out.appendingPathComponent("tiny_kl4_latent.safetensors")).latent().tensor
        let expected = try LatentFile.read(contentsOf: models.appendingPathComponent("tiny_kl4_decoded.safetensors")).latent().tensor
        #expect(zip(decoded.floatValues(), expected.floatValues()).allSatisfy { abs($0 - $1) <= 1e-4 })
        let missing = try CLITests.run([
            "decode", "Samples/sd15_512_seed13.safetensors", "--preset", "sd15", "--local", "--engine", "full", "--out", out.path,
        ])
        #expect(missing.status != 0 && missing.stderr.contains("pass --vae PATH"))
        let tiny = try CLITests.run([
            "decode", "Tests/Fixtures/models/taesd_random_latent.safetensors", "--preset", "sd15", "--local", "--engine", "tiny", "--vae",
            models.appendingPathComponent("taesd_random.safetensors").path, "--out", out.path, "--format", "png",
        ])
        #expect(tiny.status == 0 && tiny.stdout.hasPrefix("done"))
        // Without bf16 instructions (oneDNN capped at AVX2 here), bf16 says it runs f32 and gives f32's image.
        let capped = try CLITests.runRaw(
            [
                "decode", "Tests/Fixtures/models/tiny_kl4_latent.safetensors", "--preset", "sd15", "--space", "vae", "--local", "--engine",
                "full", "--vae", folder.path, "--output-type", "pt", "--out", out.path, "--precision", "bf16",
            ], environment: ["ONEDNN_MAX_CPU_ISA": "AVX2"])
        #expect(capped.status == 0 && capped.stderr.contains("bf16 runs as f32 here"), "\(capped.stderr)")
        let cappedImage = try LatentFile.read(contentsOf: out.appendingPathComponent("tiny_kl4_latent.safetensors")).latent().tensor
        #expect(zip(cappedImage.floatValues(), expected.floatValues()).allSatisfy { abs($0 - $1) <= 1e-4 })
        let fp8 = try CLITests.run(["decode", "Samples/sd15_512_seed13.safetensors", "--local", "--precision", "fp8"])
        #expect(fp8.status == 64 && fp8.stderr.contains("Please provide one of 'f32' and 'bf16'."))
    }
}
