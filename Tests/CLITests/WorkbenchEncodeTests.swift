import Foundation
import Testing
import VideoTestSupport

@testable import ImageCodecs
@testable import TerminalGraphics

/// An image given to the workbench on a real pseudo-terminal (util-linux `script`) with
/// `--graphics kitty` and a full engine: it is encoded, decoded back, the preview moves on to the
/// decode, and `m` shows the original beside it with the PSNR of the two pictures.
@Suite(.serialized) struct WorkbenchEncodeTests {
    @Test func anImageOpensAsItsRoundTripAndMComparesItWithThePSNR() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-wbenc-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        let model = try fixtureModelFolder("models/tiny_kl4.safetensors", in: root)
        let image = root.appendingPathComponent("photo.png")
        try FileManager.default.copyItem(at: fixturesFolder.appendingPathComponent("encode/image_gradient.png"), to: image)
        let terminal = try PseudoTerminalWorkbench(
            [image.path, "--engine", "full", "--vae", model.path, "--graphics", "kitty", "--out", out.path, "--no-journal"], root: root,
            columns: 120, rows: 40)
        let (process, keys, screen) = (terminal.process, terminal.keys, terminal.screen)
        signal(SIGPIPE, SIG_IGN)
        defer { terminal.cancelWatchdog() }

        var written: [UInt8] = []
        /// Reads what the workbench writes until `enough` holds (false if it stopped writing first).
        func read(until enough: () -> Bool) -> Bool {
            while !enough() {
                let chunk = screen.fileHandleForReading.availableData
                if chunk.isEmpty { return false }
                written += chunk
            }
            return true
        }
        // The preview shows the original when the encode is done, then the decode of its latent: the
        // file on disk, once the decode has written it.
        let previews = { KittyStream(written).uploads.compactMap { $0.image() }.filter { $0.width > 64 } }
        func decodedFile() -> RGBImage? {
            guard let name = (try? FileManager.default.contentsOfDirectory(atPath: out.path))?.first(where: { $0.hasSuffix(".jpg") }),
                let data = try? Data(contentsOf: out.appendingPathComponent(name))
            else { return nil }
            return try? ImageDecoder.decode(Array(data))
        }
        func showsDecode() -> Bool {
            guard let decoded = decodedFile() else { return false }
            return previews().contains { shown in
                (ImageFitting.psnr(shown, ImageFitting.resize(decoded, width: shown.width, height: shown.height)) ?? 0) >= 40
            }
        }
        #expect(read(until: showsDecode), "the preview should move on to the decode of the image's latent")
        try keys.fileHandleForWriting.write(contentsOf: Data("lm".utf8))
        let text = { String(decoding: written, as: UTF8.self) }
        #expect(read { text().range(of: #"PSNR [0-9.]+ dB"#, options: .regularExpression) != nil }, "the PSNR should be shown")
        try? keys.fileHandleForWriting.write(contentsOf: Data("q".utf8))
        written += screen.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()

        let files = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(files.contains("photo.safetensors") && files.contains("photo.png"), "\(files)")
        let decodedName = try #require(files.first { $0.hasSuffix(".jpg") }, "\(files)")
        #expect(decodedName == "photo_decoded.jpg", "\(files)")
        let decoded = try ImageDecoder.decode(Array(try Data(contentsOf: out.appendingPathComponent(decodedName))))
        let original = try ImageDecoder.decode(Array(try Data(contentsOf: image)))
        var squares = 0.0
        for index in original.pixels.indices {
            let difference = Double(original.pixels[index]) - Double(decoded.pixels[index])
            squares += difference * difference
        }
        let psnr = 10 * log10(255 * 255 / (squares / Double(original.pixels.count)))
        #expect(text().contains(String(format: "PSNR %.2f dB", psnr)), "the title's PSNR is that of the two files")
        #expect(text().contains("original photo"))
        let showsOriginal = previews().contains { shown in
            (ImageFitting.psnr(shown, ImageFitting.resize(original, width: shown.width, height: shown.height)) ?? 0) >= 40
        }
        #expect(showsOriginal, "the comparison shows the original")
    }
}
