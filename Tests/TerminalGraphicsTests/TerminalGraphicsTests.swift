import Foundation
import ImageCodecs
import Testing

@testable import TerminalGraphics

@Suite struct TerminalRepliesTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func da1AttributesAndSixel() {
        // xterm -ti vt340, then a terminal without sixel.
        #expect(TerminalReplies.primaryAttributes(in: bytes("\u{1B}[?63;1;2;4;6;9;15;16;22;28c")) == [63, 1, 2, 4, 6, 9, 15, 16, 22, 28])
        #expect(TerminalReplies.supportsSixel(attributes: [63, 1, 2, 4, 6]))
        #expect(!TerminalReplies.supportsSixel(attributes: [62, 22]))
        // Attribute 4 as the terminal class itself does not count.
        #expect(!TerminalReplies.supportsSixel(attributes: [4]))
        #expect(TerminalReplies.primaryAttributes(in: bytes("\u{1B}[?62;22")) == nil)
    }

    @Test func allRepliesInOneRead() {
        let reply = bytes("\u{1B}[?2;0;1000;1000S\u{1B}[6;20;10t\u{1B}[?62;4;22c")
        #expect(TerminalReplies.sixelGeometry(in: reply)! == (1000, 1000))
        #expect(TerminalReplies.cellSize(in: reply)! == (10, 20))
        #expect(TerminalReplies.primaryAttributes(in: reply) == [62, 4, 22])
        // A failed XTSMGRAPHICS (status 3) gives no geometry.
        #expect(TerminalReplies.sixelGeometry(in: bytes("\u{1B}[?2;3;0S\u{1B}[?62c")) == nil)
        #expect(TerminalReplies.cellSize(in: bytes("\u{1B}[6;0;0t")) == nil)
    }

    @Test func truecolorFromTheEnvironment() {
        #expect(GraphicsDetection.truecolor(["COLORTERM": "truecolor"]))
        #expect(GraphicsDetection.truecolor(["COLORTERM": "24bit"]))
        #expect(!GraphicsDetection.truecolor([:]))
    }
}

@Suite struct ImageTests {
    func gradient(_ width: Int, _ height: Int) throws -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width { pixels += [UInt8(x * 255 / max(1, width - 1)), UInt8(y * 255 / max(1, height - 1)), 60] }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    @Test func fittingKeepsTheAspectRatio() {
        #expect(ImageFitting.fittedSize(imageWidth: 512, imageHeight: 512, boxWidth: 300, boxHeight: 200) == (200, 200))
        #expect(ImageFitting.fittedSize(imageWidth: 1024, imageHeight: 512, boxWidth: 300, boxHeight: 200) == (300, 150))
        #expect(ImageFitting.fittedSize(imageWidth: 8, imageHeight: 8, boxWidth: 300, boxHeight: 200) == (32, 32))
        #expect(ImageFitting.fittedSize(imageWidth: 8, imageHeight: 8, boxWidth: 0, boxHeight: 200) == (0, 0))
    }

    @Test func resizingAveragesBlocks() throws {
        let checker = try RGBImage(width: 2, height: 2, pixels: [0, 0, 0, 200, 200, 200, 200, 200, 200, 0, 0, 0])
        #expect(ImageFitting.resize(checker, width: 1, height: 1).pixels == [100, 100, 100])
        #expect(ImageFitting.resize(checker, width: 4, height: 4).pixels.prefix(6) == [0, 0, 0, 0, 0, 0])
    }

    @Test func psnrOfIdenticalAndDifferentImages() throws {
        let a = try gradient(16, 16)
        #expect(ImageFitting.psnr(a, a) == .infinity)
        var pixels = a.pixels
        pixels[0] = pixels[0] &+ 16
        let b = try RGBImage(width: 16, height: 16, pixels: pixels)
        let psnr = try #require(ImageFitting.psnr(a, b))
        #expect(abs(psnr - 10 * log10(255.0 * 255 / (256.0 / 768))) < 1e-9)
        #expect(ImageFitting.psnr(a, try gradient(8, 8)) == nil)
    }

    @Test func sixelRoundTripsThroughLibsixel() throws {
        let image = try gradient(64, 48)
        let sixel = try SixelEncoder.encode(image)
        #expect(sixel.starts(with: [0x1B, 0x50]))
        #expect(sixel.suffix(2) == [0x1B, 0x5C])
        let decoded = try #require(SixelEncoder.decode(sixel))
        #expect(decoded.width == 64 && decoded.height == 48)
        // 256 colours for a two-axis gradient: close, not exact.
        #expect(try #require(ImageFitting.psnr(decoded, image)) > 30)
    }

    @Test func halfBlocksPairRows() throws {
        let image = try RGBImage(width: 2, height: 2, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])
        let cells = HalfBlocks.render(image, columns: 2, rows: 1)
        #expect(
            cells == [
                [HalfBlockCell(top: RGB(255, 0, 0), bottom: RGB(0, 0, 255)), HalfBlockCell(top: RGB(0, 255, 0), bottom: RGB(9, 9, 9))]
            ])
        let wide = HalfBlocks.render(try gradient(100, 50), columns: 40, rows: 30)
        #expect(wide.count == 10 && wide[0].count == 40)
    }

    @Test func palette256PicksCubeOrGrey() {
        #expect(RGB(0, 0, 0).palette256 == 16)
        #expect(RGB(255, 255, 255).palette256 == 231)
        #expect(RGB(255, 0, 0).palette256 == 196)
        #expect(RGB(128, 128, 128).palette256 == 244)
    }
}
