import CSystemZlib
import Foundation
import ImageCodecs
import LatentKit
import TerminalGraphics
import Testing

/// `latentty show` and `decode --show` into a pipe: what each protocol's bytes decode back to is
/// compared with the picture they should carry.
@Suite(.serialized) struct ShowCommandTests {
    static let models = CLITests.repository.appendingPathComponent("Tests/Fixtures/models")

    typealias Outcome = CLITests.RawOutcome

    /// The binary with `arguments`, stdout a pipe, and COLORTERM as given (half blocks follow it).
    static func run(_ arguments: [String], colorterm: String? = "truecolor") throws -> Outcome {
        try CLITests.runRaw(arguments, environment: ["COLORTERM": colorterm])
    }

    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-show-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Gradients under a 2-pixel checkerboard and one-pixel lines: detail a careless resize or a
    /// wrong stride would smear.
    static func detailedImage(width: Int = 240, height: Int = 160) throws -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let checker = (x / 2 + y / 2) % 2 == 0
                let line = x % 17 == 0 || y % 13 == 0
                pixels += [
                    UInt8(x * 255 / (width - 1)), UInt8(y * 255 / (height - 1)), line ? 255 : checker ? 200 : 40,
                ]
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    static func writePNG(_ image: RGBImage, to url: URL) throws {
        try Data(try PNGCodec.encode(image)).write(to: url)
    }

    /// `image` as a picture fitted to `columns`×`rows` cells of the default cell size is expected to carry it.
    static func expected(_ image: RGBImage, columns: Int, rows: Int, pixelHeightStep: Int = 1) -> RGBImage {
        let size = ImageFitting.fittedSize(
            imageWidth: image.width, imageHeight: image.height, boxWidth: columns * GraphicsTarget.defaultCellWidth,
            boxHeight: rows * GraphicsTarget.defaultCellHeight / pixelHeightStep * pixelHeightStep)
        return ImageFitting.resize(image, width: size.width, height: size.height)
    }

    // MARK: - Protocols, decoded back

    /// `graphics = "…"` in config.toml chooses the protocol where `--graphics` does not; the flag wins.
    @Test func configGraphicsChoosesTheProtocolAndTheFlagOverridesIt() throws {
        let folder = try Self.scratch()
        let file = folder.appendingPathComponent("detail.png")
        try Self.writePNG(try Self.detailedImage(), to: file)
        let config = folder.appendingPathComponent("config.toml")
        try Data("graphics = \"kitty\"\n".utf8).write(to: config)
        let configured = try Self.run(["show", file.path, "--config", config.path, "--width", "16", "--height", "8"])
        #expect(configured.status == 0, "\(configured.stderr)")
        #expect(KittyStream(configured.stdout).uploads.count == 1, "config's kitty, not the pipe's half blocks")
        let flagged = try Self.run(["show", file.path, "--config", config.path, "--graphics", "blocks", "--width", "16", "--height", "8"])
        #expect(KittyStream(flagged.stdout).uploads.isEmpty && String(decoding: flagged.stdout, as: UTF8.self).contains("▀"))
        try Data("graphics = \"kitten\"\n".utf8).write(to: config)
        let wrong = try Self.run(["show", file.path, "--config", config.path])
        #expect(wrong.status != 0 && wrong.stderr.contains("graphics"), "\(wrong.stderr)")
    }

    @Test func kittyCarriesTheResizedPixels() throws {
        let folder = try Self.scratch()
        let source = try Self.detailedImage()
        let file = folder.appendingPathComponent("detail.png")
        try Self.writePNG(source, to: file)
        let result = try Self.run(["show", file.path, "--graphics", "kitty", "--width", "16", "--height", "8"])
        #expect(result.status == 0, "\(result.stderr)")
        let kitty = KittyStream(result.stdout)
        #expect(kitty.uploads.count == 1)
        let upload = try #require(kitty.uploads.first)
        let expected = Self.expected(source, columns: 16, rows: 8)
        let pixels = try #require(upload.image())
        #expect(pixels.width == expected.width && pixels.height == expected.height)
        #expect((ImageFitting.psnr(pixels, expected) ?? 0) >= 40)
        #expect(kitty.placements.map(\.id) == [upload.id])
        #expect(kitty.placements.first.map { [$0.columns, $0.rows] } == [16, 6])
        #expect(String(decoding: result.stdout, as: UTF8.self).hasPrefix(file.path + "\n"))
    }

    @Test func iTerm2CarriesTheResizedPixelsAsPNG() throws {
        let folder = try Self.scratch()
        let source = try Self.detailedImage()
        let file = folder.appendingPathComponent("detail.png")
        try Self.writePNG(source, to: file)
        let result = try Self.run(["show", file.path, "--graphics", "iterm2", "--width", "16", "--height", "8", "--no-caption"])
        #expect(result.status == 0, "\(result.stderr)")
        let text = String(decoding: result.stdout, as: UTF8.self)
        let start = try #require(text.range(of: "\u{1B}]1337;File="))
        let body = text[start.upperBound...]
        let colon = try #require(body.firstIndex(of: ":"))
        let end = try #require(body.firstIndex(of: "\u{07}"))
        #expect(body[..<colon].contains("width=16;height=6;preserveAspectRatio=1"), "\(body[..<colon])")
        let png = try #require(Data(base64Encoded: String(body[body.index(after: colon)..<end])))
        let decoded = try PNGCodec.decode(Array(png)).image
        let expected = Self.expected(source, columns: 16, rows: 8)
        #expect((ImageFitting.psnr(decoded, expected) ?? 0) >= 40)
        #expect(text.hasPrefix("\n") && !text.hasPrefix(file.path), "no caption")
    }

    @Test func sixelCarriesTheResizedPixels() throws {
        let folder = try Self.scratch()
        let source = try Self.detailedImage()
        let file = folder.appendingPathComponent("detail.png")
        try Self.writePNG(source, to: file)
        let result = try Self.run(["show", file.path, "--graphics", "sixel", "--width", "16", "--height", "8"])
        #expect(result.status == 0, "\(result.stderr)")
        let bytes = result.stdout
        let start = try #require(bytes.indices.first { bytes[$0] == 0x1B && $0 + 1 < bytes.count && bytes[$0 + 1] == 0x50 })
        let end = try #require((start..<bytes.count - 1).first { bytes[$0] == 0x1B && bytes[$0 + 1] == 0x5C })
        let decoded = try #require(SixelEncoder.decode(Array(bytes[start...(end + 1)])))
        let expected = Self.expected(source, columns: 16, rows: 8, pixelHeightStep: 6)
        #expect(decoded.width == expected.width && decoded.height == expected.height)
        // 256 palette colours for a picture of thousands, dithered: each pixel may be off, the average
        // over a few neighbours is not, so compare at half size.
        func half(_ image: RGBImage) -> RGBImage { ImageFitting.resize(image, width: image.width / 2, height: image.height / 2) }
        let psnr = ImageFitting.psnr(half(decoded), half(expected)) ?? 0
        #expect(psnr >= 30, "\(psnr) dB")
        // What that margin is worth: the same picture mirrored is far below it.
        var flipped: [UInt8] = []
        for y in 0..<expected.height {
            for x in (0..<expected.width).reversed() {
                let offset = (y * expected.width + x) * 3
                flipped += expected.pixels[offset..<offset + 3]
            }
        }
        let mirrored = try RGBImage(width: expected.width, height: expected.height, pixels: flipped)
        let wrong = ImageFitting.psnr(half(decoded), half(mirrored)) ?? .infinity
        #expect(wrong < 20, "\(wrong) dB")
    }

    @Test func halfBlocksCarryTheResizedPixelsInTheirColours() throws {
        let folder = try Self.scratch()
        let source = try Self.detailedImage()
        let file = folder.appendingPathComponent("detail.png")
        try Self.writePNG(source, to: file)
        let result = try Self.run(["show", file.path, "--graphics", "blocks", "--width", "48", "--height", "12"])
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try #require(HalfBlockText.image(result.stdout))
        let size = ImageFitting.fittedSize(imageWidth: source.width, imageHeight: source.height, boxWidth: 48, boxHeight: 24)
        let expected = ImageFitting.resize(source, width: size.width, height: size.height + size.height % 2)
        #expect(decoded.width == expected.width && decoded.height == expected.height)
        #expect(ImageFitting.psnr(decoded, expected) == .infinity)
    }

    /// Into a pipe nothing is asked of the terminal: half blocks, 80 columns.
    @Test func aPipeGetsHalfBlocksEightyColumnsWide() throws {
        let folder = try Self.scratch()
        let file = folder.appendingPathComponent("detail.png")
        try Self.writePNG(try Self.detailedImage(), to: file)
        let result = try Self.run(["show", file.path, "--no-caption"])
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try #require(HalfBlockText.image(result.stdout))
        #expect(decoded.width == 80)
        #expect(!result.stdout.contains(0x07) && !String(decoding: result.stdout, as: UTF8.self).contains("\u{1B}_G"))
    }

    // MARK: - Latents

    /// A latent shows what the chosen engine decodes it to: each equals `decode` with that engine,
    /// and the two engines differ.
    @Test func aLatentShowsTheChosenEnginesPixels() throws {
        let folder = try Self.scratch()
        let latent = "Tests/Fixtures/models/taesd_random_latent.safetensors"
        let engines = [
            ("approx", ["--engine", "approx"]),
            ("tiny", ["--engine", "tiny", "--vae", Self.models.appendingPathComponent("taesd_random.safetensors").path]),
        ]
        var shown: [RGBImage] = []
        for (name, options) in engines {
            let out = folder.appendingPathComponent(name)
            let decoded = try CLITests.run(
                ["decode", latent, "--preset", "sd15", "--local", "--format", "png", "--out", out.path] + options)
            #expect(decoded.status == 0, "\(decoded.stdout)\(decoded.stderr)")
            let direct = try PNGCodec.decode(Array(try Data(contentsOf: out.appendingPathComponent("taesd_random_latent.png")))).image
            let result = try Self.run(
                ["show", latent, "--preset", "sd15", "--graphics", "kitty", "--width", "12", "--height", "6"] + options)
            #expect(result.status == 0, "\(result.stderr)")
            let upload = try #require(KittyStream(result.stdout).uploads.first)
            let pixels = try #require(upload.image())
            #expect(pixels == Self.expected(direct, columns: 12, rows: 6), "\(name)")
            shown.append(pixels)
        }
        #expect(shown.count == 2 && shown[0] != shown[1])
    }

    /// On an endpoint (`serve` with the approx engine) a latent shows the same pixels as on this machine.
    @Test func aLatentDecodedOnAnEndpointShowsTheSamePixels() throws {
        let latent = "Tests/Fixtures/formats/latent.safetensors"
        let options = ["--preset", "sd15", "--graphics", "kitty", "--width", "12", "--height", "6"]
        let local = try Self.run(["show", latent] + options)
        #expect(local.status == 0, "\(local.stderr)")
        let remote = try CLITests.withServe { url in try Self.run(["show", latent, "--endpoint", url] + options) }
        #expect(remote.status == 0, "\(remote.stderr)")
        let pictures = [local, remote].map { KittyStream($0.stdout).uploads.first?.image() }
        #expect(pictures[0] != nil && pictures[0] == pictures[1])
    }

    // MARK: - Video

    /// Three frames played twice: each frame's pixels go up once, the second loop only re-places them.
    @Test func playingTwiceWithKittySendsEachFrameOnce() throws {
        let folder = try Self.scratch()
        let frames = try (0..<3).map { index in
            try RGBImage(
                width: 24, height: 16, pixels: (0..<(24 * 16)).flatMap { pixel in [UInt8(index * 80), UInt8(pixel % 24 * 10), 128] })
        }
        let file = folder.appendingPathComponent("clip.safetensors")
        try SafetensorsWriter.encode([NamedTensor(name: "images", tensor: try TensorImages.uint8Tensor(from: frames))]).write(to: file)
        let result = try Self.run([
            "show", file.path, "--graphics", "kitty", "--play", "--loop", "2", "--fps", "500", "--width", "6", "--height", "3",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let kitty = KittyStream(result.stdout)
        #expect(kitty.uploads.count == 3)
        #expect(Set(kitty.uploads.map(\.id)).count == 3)
        #expect(kitty.placements.count == 6)
        #expect(kitty.placements.map(\.id) == kitty.uploads.map(\.id) + kitty.uploads.map(\.id))
        // Nothing is transmitted once the second loop has begun.
        let secondLoop = try #require(kitty.commands.indices.filter { kitty.commands[$0].keys["a"] == "p" }.dropFirst(3).first)
        #expect(!kitty.commands[secondLoop...].contains { $0.keys["a"] == "t" })
        // The frames not left on screen are freed, the last one kept.
        let freed = kitty.commands.filter { $0.keys["a"] == "d" && $0.keys["d"] == "I" }.compactMap { $0.keys["i"].flatMap(UInt32.init) }
        #expect(Set(freed) == Set(kitty.uploads.dropLast().map(\.id)))
        #expect(kitty.uploads.map { $0.image()?.pixels.first } == [0, 80, 160])
    }

    /// ^C while playing stops at the next frame, frees every frame but the one on screen, and
    /// exits as an interrupted program does.
    @Test func interruptedPlayingFreesTheFramesSent() throws {
        let folder = try Self.scratch()
        let frames = try (0..<3).map { index in
            try RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: UInt8(index * 80), count: 8 * 8 * 3))
        }
        let file = folder.appendingPathComponent("clip.safetensors")
        try SafetensorsWriter.encode([NamedTensor(name: "images", tensor: try TensorImages.uint8Tensor(from: frames))]).write(to: file)
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = ["show", file.path, "--graphics", "kitty", "--play", "--loop", "100000", "--fps", "100", "--width", "4"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var bytes: [UInt8] = []
        // Playing has begun (the handler is set before the first redraw) once a frame is placed twice.
        while KittyStream(bytes).placements.count < 5 {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            bytes += chunk
        }
        kill(process.processIdentifier, SIGINT)
        bytes += out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        let kitty = KittyStream(bytes)
        #expect(kitty.uploads.count == 3)
        let last = try #require(kitty.placements.last?.id)
        let freed = kitty.commands.filter { $0.keys["a"] == "d" && $0.keys["d"] == "I" }.compactMap { $0.keys["i"].flatMap(UInt32.init) }
        #expect(Set(freed) == Set(kitty.uploads.map(\.id)).subtracting([last]))
    }

    /// Without --play a video shows its first frame only.
    @Test func withoutPlayAVideoShowsItsFirstFrame() throws {
        let folder = try Self.scratch()
        let frames = try (0..<3).map { index in
            try RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: UInt8(40 + index * 80), count: 16 * 16 * 3))
        }
        let file = folder.appendingPathComponent("clip.mp4")
        try Data(try MP4Encoder.encode(frames)).write(to: file)
        let result = try Self.run(["show", file.path, "--graphics", "kitty", "--width", "4", "--height", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let uploads = KittyStream(result.stdout).uploads
        #expect(uploads.count == 1)
        let first = try #require(uploads.first?.image())
        #expect(abs(Int(first.pixels[0]) - 40) <= 8, "\(first.pixels[0])")
    }

    // MARK: - Failures and names

    @Test func aTruncatedPNGAmongGoodOnesIsReportedAndTheOthersShown() throws {
        let folder = try Self.scratch()
        let good = [folder.appendingPathComponent("a.png"), folder.appendingPathComponent("c.png")]
        for url in good { try Self.writePNG(try Self.detailedImage(width: 32, height: 32), to: url) }
        let whole = try PNGCodec.encode(try Self.detailedImage(width: 32, height: 32))
        let bad = folder.appendingPathComponent("b.png")
        try Data(whole.prefix(whole.count / 2)).write(to: bad)
        let result = try Self.run(["show", good[0].path, bad.path, good[1].path, "--width", "8"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("cannot show \(bad.path): "), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        let text = String(decoding: result.stdout, as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false).flatMap { $0.split(separator: "\n") }
        #expect(lines.filter { $0 == good[0].path || $0 == good[1].path }.count == 2)
        #expect(!text.contains(bad.path))
        #expect(lines.filter { $0.contains("▀") }.count == 8, "two pictures of 8×4 cells")
    }

    @Test func fileNamesWithEscapesArePrintedEscaped() throws {
        let folder = try Self.scratch()
        let evil = folder.appendingPathComponent("evil\u{1B}]0;owned\u{07}\u{9B}2J.png")
        try Self.writePNG(try Self.detailedImage(width: 16, height: 16), to: evil)
        let missing = folder.appendingPathComponent("gone\u{1B}[2J.png")
        let result = try Self.run(["show", evil.path, missing.path, "--graphics", "none"])
        #expect(result.status == 1)
        let text = String(decoding: result.stdout, as: UTF8.self)
        #expect(text == folder.path + "/evil\\x1B]0;owned\\x07\\u{9B}2J.png\n", "\(text)")
        #expect(result.stderr.contains("gone\\x1B[2J.png"), "\(result.stderr)")
        #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B })
    }

    @Test func optionsThatCannotWorkAreRefused() throws {
        let refusals = [
            (["show", "a.png", "--loop", "2"], "--fps and --loop are for playing videos: add --play"),
            (["show", "a.png", "--width", "0"], "--width must be at least 1 cell"),
            (["show", "a.png", "--graphics", "ascii"], "The value 'ascii' is invalid for '--graphics <graphics>'"),
            (["decode", "a.safetensors", "--show", "--json"], "--show prints pictures where --json prints its lines; choose one"),
        ]
        for (arguments, message) in refusals {
            let result = try Self.run(arguments)
            #expect(result.status == 64 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    // MARK: - decode --show

    @Test func decodeShowPrintsAPictureForEachResult() throws {
        let folder = try Self.scratch()
        let latents = try ["one", "two"].map { name in
            let url = folder.appendingPathComponent("\(name).safetensors")
            try FileManager.default.copyItem(
                at: CLITests.repository.appendingPathComponent("Tests/Fixtures/formats/latent.safetensors"), to: url)
            return url.path
        }
        let out = folder.appendingPathComponent("out")
        let result = try Self.run(
            ["decode"] + latents + ["--preset", "sd15", "--local", "--format", "png", "--out", out.path, "--show", "--graphics", "kitty"])
        #expect(result.status == 0, "\(result.stderr)")
        let kitty = KittyStream(result.stdout)
        #expect(kitty.uploads.count == 2)
        let text = String(decoding: result.stdout, as: UTF8.self)
        for name in ["one", "two"] {
            let png = out.appendingPathComponent("\(name).png")
            #expect(text.contains(png.path + "\n"), "caption for \(name)")
            let written = try PNGCodec.decode(Array(try Data(contentsOf: png))).image
            // A pipe: 80 columns, and no height limit but the width's.
            let expected = Self.expected(written, columns: 80, rows: 10_000)
            #expect(kitty.uploads.contains { $0.image() == expected }, "picture of \(name)")
        }
        #expect(text.contains("done    one") && text.contains("done    two"))
    }

    /// A pt result is shown from its tensor, the exact pixels, under the tensor file's name.
    @Test func decodeShowOfAPtResultShowsTheTensor() throws {
        let folder = try Self.scratch()
        let out = folder.appendingPathComponent("out")
        let result = try Self.run([
            "decode", "Tests/Fixtures/formats/latent.safetensors", "--preset", "sd15", "--local", "--output-type", "pt", "--format", "png",
            "--out", out.path, "--show", "--graphics", "kitty",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let text = String(decoding: result.stdout, as: UTF8.self)
        #expect(text.hasPrefix(out.appendingPathComponent("latent.safetensors").path + "\n"), "\(text.prefix(200))")
        let written = try PNGCodec.decode(Array(try Data(contentsOf: out.appendingPathComponent("latent.png")))).image
        #expect(KittyStream(result.stdout).uploads.map { $0.image() } == [Self.expected(written, columns: 80, rows: 10_000)])
        let refused = try Self.run(["decode", "Tests/Fixtures/formats/latent.safetensors", "--graphics", "kitty"])
        #expect(refused.status == 64 && refused.stderr.contains("--graphics is for --show"), "\(refused.stderr)")
    }
}

/// The kitty graphics commands in a byte stream.
struct KittyStream {
    struct Command {
        var keys: [String: String]
        var payload: [UInt8]
    }

    struct Upload {
        var id: UInt32
        var width: Int
        var height: Int
        var format: Int
        var compressed: Bool
        var base64: [UInt8]

        /// The picture as the terminal will have it: base64, then zlib when `o=z`; of an RGBA
        /// upload (a picture padded to whole cells) the opaque top-left part, which is the picture.
        func image() -> RGBImage? {
            guard format == 24 || format == 32, let data = Data(base64Encoded: Data(base64)) else { return nil }
            let channels = format / 8
            var pixels = Array(data)
            if compressed {
                var size = uLong(width * height * channels)
                var inflated = [UInt8](repeating: 0, count: Int(size))
                let status = inflated.withUnsafeMutableBufferPointer { out in
                    pixels.withUnsafeBufferPointer { uncompress(out.baseAddress, &size, $0.baseAddress, uLong($0.count)) }
                }
                guard status == Z_OK, Int(size) == inflated.count else { return nil }
                pixels = inflated
            }
            guard channels == 4 else { return try? RGBImage(width: width, height: height, pixels: pixels) }
            let opaqueWidth = (0..<width).prefix { pixels[$0 * 4 + 3] == 255 }.count
            let opaqueHeight = (0..<height).prefix { pixels[$0 * width * 4 + 3] == 255 }.count
            var rgb: [UInt8] = []
            for y in 0..<height {
                for x in 0..<width {
                    let offset = (y * width + x) * 4
                    let inside = x < opaqueWidth && y < opaqueHeight
                    // The padding is fully transparent, the picture fully opaque.
                    guard pixels[offset + 3] == (inside ? 255 : 0) else { return nil }
                    if inside { rgb += pixels[offset..<(offset + 3)] }
                }
            }
            return try? RGBImage(width: opaqueWidth, height: opaqueHeight, pixels: rgb)
        }
    }

    struct Placement {
        var id: UInt32
        var columns: Int
        var rows: Int
    }

    let commands: [Command]

    init(_ bytes: [UInt8]) {
        var commands: [Command] = []
        var index = 0
        while index + 2 < bytes.count {
            guard bytes[index] == 0x1B, bytes[index + 1] == 0x5F, bytes[index + 2] == 0x47 else {
                index += 1
                continue
            }
            var end = index + 3
            while end + 1 < bytes.count, !(bytes[end] == 0x1B && bytes[end + 1] == 0x5C) { end += 1 }
            let body = bytes[(index + 3)..<end]
            let split = body.firstIndex(of: 0x3B) ?? body.endIndex
            var keys: [String: String] = [:]
            for pair in String(decoding: body[..<split], as: UTF8.self).split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { keys[String(parts[0])] = String(parts[1]) }
            }
            commands.append(Command(keys: keys, payload: split < body.endIndex ? Array(body[(split + 1)...]) : []))
            index = end + 2
        }
        self.commands = commands
    }

    /// Each `a=t` with the chunks that continue it (`m=1` until `m=0`).
    var uploads: [Upload] {
        var uploads: [Upload] = []
        var open: Upload? = nil
        for command in commands {
            if command.keys["a"] == "t" {
                open = Upload(
                    id: command.keys["i"].flatMap(UInt32.init) ?? 0, width: command.keys["s"].flatMap(Int.init) ?? 0,
                    height: command.keys["v"].flatMap(Int.init) ?? 0, format: command.keys["f"].flatMap(Int.init) ?? 32,
                    compressed: command.keys["o"] == "z", base64: command.payload)
            } else if open != nil, command.keys["a"] == nil {
                open?.base64 += command.payload
            } else {
                continue
            }
            if command.keys["m"] == "0", let finished = open {
                uploads.append(finished)
                open = nil
            }
        }
        return uploads
    }

    var placements: [Placement] {
        commands.filter { $0.keys["a"] == "p" }.map { command in
            Placement(
                id: command.keys["i"].flatMap(UInt32.init) ?? 0, columns: command.keys["c"].flatMap(Int.init) ?? 0,
                rows: command.keys["r"].flatMap(Int.init) ?? 0)
        }
    }
}

/// Half-block lines back to pixels: each `▀` cell's 24-bit foreground is the top pixel, its
/// background the bottom one.
enum HalfBlockText {
    static func image(_ bytes: [UInt8]) -> RGBImage? {
        let text = String(decoding: bytes, as: UTF8.self)
        let cell = /\x1B\[38;2;(\d+);(\d+);(\d+);48;2;(\d+);(\d+);(\d+)m▀/
        var rows: [[UInt8]] = []
        var width = 0
        for line in text.split(separator: "\r\n") where line.contains("▀") {
            var top: [UInt8] = []
            var bottom: [UInt8] = []
            for match in line.matches(of: cell) {
                let values = [match.1, match.2, match.3, match.4, match.5, match.6].map { UInt8($0) ?? 0 }
                top += values[0..<3]
                bottom += values[3..<6]
            }
            width = top.count / 3
            rows += [top, bottom]
        }
        guard width > 0, rows.allSatisfy({ $0.count == width * 3 }) else { return nil }
        return try? RGBImage(width: width, height: rows.count, pixels: rows.flatMap { $0 })
    }
}
