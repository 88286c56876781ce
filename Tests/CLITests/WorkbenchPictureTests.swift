import Foundation
import Testing

@testable import ImageCodecs
@testable import TerminalGraphics

/// The workbench on a real pseudo-terminal (util-linux `script`) with `--graphics kitty`: what it
/// writes is parsed as the terminal would, and the preview's pixels are compared with the result
/// file the decode wrote.
@Suite(.serialized) struct WorkbenchPictureTests {
    @Test func theKittyPreviewCarriesTheDecodedResultAndTheLatentsPicture() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-wbpic-\(UUID().uuidString)")
        let out = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let latent = CLITests.repository.appendingPathComponent("Samples/sd15_512_seed13.safetensors").path
        let terminal = try PseudoTerminalWorkbench(
            [latent, "--local", "--decode", "--graphics", "kitty", "--out", out.path, "--no-journal"], root: root, columns: 120, rows: 40)
        let (process, keys, screen) = (terminal.process, terminal.keys, terminal.screen)
        // A workbench that never draws must fail the test, not hang it (nor kill it with SIGPIPE
        // when the quit key goes to a terminal that is gone).
        signal(SIGPIPE, SIG_IGN)
        defer { terminal.cancelWatchdog() }

        var written: [UInt8] = []
        var preview: RGBImage?
        while preview == nil {
            let chunk = screen.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            written += chunk
            preview = KittyStream(written).uploads.compactMap { $0.image() }.first { $0.width > 64 }
        }
        try? keys.fileHandleForWriting.write(contentsOf: Data("q".utf8))
        written += screen.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()

        let picture = try #require(preview, "no kitty picture of the result was written")
        let result = try #require(
            try FileManager.default.contentsOfDirectory(atPath: out.path).first { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") })
        let decoded = try ImageDecoder.decode(Array(try Data(contentsOf: out.appendingPathComponent(result))))
        let expected = ImageFitting.resize(decoded, width: picture.width, height: picture.height)
        #expect((ImageFitting.psnr(picture, expected) ?? 0) >= 40, "the preview shows the file the decode wrote")
        let stream = KittyStream(written)
        #expect(stream.uploads.contains { $0.image().map { $0.width <= 64 } == true }, "the latent's small picture")
        #expect(stream.placements.contains { $0.columns == 2 && $0.rows == 1 }, "placed in two cells before its name")
        #expect(String(decoding: written, as: UTF8.self).contains("d=I"), "the terminal's copies are freed on quitting")
    }
}
