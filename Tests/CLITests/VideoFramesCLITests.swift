import Foundation
import ImageCodecs
import LatentKit
import Testing

/// `decode` saves a video's frames as PNGs next to its MP4 and reports them.
@Suite struct VideoFramesCLITests {
    static let sample = "Samples/hunyuanvideo_256_9f_seed13.safetensors"

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-frames-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func framesPNGWritesEveryFrameWithTheDecodersPixelsBesideTheMP4() throws {
        let folder = try Self.folder()
        let result = try CLITests.run([
            "decode", Self.sample, "--preset", "hunyuanvideo", "--local", "--engine", "approx", "--output-type", "mp4", "--frames-png",
            "--out", folder.path, "--json",
        ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let frames = object["frames"] as? [String: Int]
        #expect(frames?["done"] == 9 && frames?["total"] == 9, "\(result.stdout)")
        let outputs = (object["outputs"] as? [String] ?? []).map { URL(fileURLWithPath: $0).lastPathComponent }
        let stem = "hunyuanvideo_256_9f_seed13"
        #expect(outputs == (0..<9).map { "\(stem)_f000\($0).png" } + ["\(stem).mp4", "\(stem).json"])

        // The same decode as 8-bit pixels (`pt-uint8`, converted from the engine's float32 output as
        // every answer is): the frame PNGs hold exactly those.
        let reference = try Self.folder()
        let tensor = try CLITests.run([
            "decode", Self.sample, "--preset", "hunyuanvideo", "--local", "--engine", "approx", "--output-type", "pt-uint8",
            "--out", reference.path,
        ])
        #expect(tensor.status == 0, "\(tensor.stdout)\(tensor.stderr)")
        let file = try LatentFile.read(contentsOf: reference.appendingPathComponent("\(stem).safetensors"))
        let expected = try TensorImages.images(from: try file.latent().tensor)
        #expect(expected.count == 9)
        for (index, image) in expected.enumerated() {
            let png = folder.appendingPathComponent("\(stem)_f000\(index).png")
            #expect(try ImageDecoder.decode(Array(Data(contentsOf: png))) == image, "frame \(index)")
        }
    }

    @Test func framesPNGWithAPTResultReplacesTheNumberedImages() throws {
        let folder = try Self.folder()
        let result = try CLITests.run([
            "decode", Self.sample, "--preset", "hunyuanvideo", "--local", "--engine", "approx", "--output-type", "pt", "--frames-png",
            "--out", folder.path,
        ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
        let stem = "hunyuanvideo_256_9f_seed13"
        #expect(names == ["\(stem).json", "\(stem).safetensors"] + (0..<9).map { "\(stem)_f000\($0).png" })
    }

    /// On a terminal, stderr carries the frames decoded so far; with stdout in a file the lines there stay clean.
    @Test func aTerminalSeesTheFramesDecodedSoFar() throws {
        let folder = try Self.folder()
        let command = [
            CLITests.binary.path, "decode", Self.sample, "--preset", "hunyuanvideo", "--local", "--engine", "approx", "--output-type",
            "mp4", "--out", folder.path,
        ].map { "'\($0)'" }.joined(separator: " ")
        let stdout = folder.appendingPathComponent("stdout.txt")
        let typescript = folder.appendingPathComponent("typescript")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-q", "-e", "-c", "\(command) > '\(stdout.path)'", typescript.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let terminal = try String(contentsOf: typescript, encoding: .utf8)
        #expect(terminal.contains("hunyuanvideo_256_9f_seed13: frames 9/9, ETA 0 s"), "\(terminal)")
        #expect(terminal.contains("\r\u{1B}[K"), "the line is cleared when the job is done")
        let lines = try String(contentsOf: stdout, encoding: .utf8)
        #expect(lines.hasPrefix("done    ") && !lines.contains("frames 9/9"), "\(lines)")
    }
}
