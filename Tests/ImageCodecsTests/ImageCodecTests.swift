import Foundation
import Testing
import ZIPFoundation

@testable import ImageCodecs

@Suite struct ImageCodecTests {
    /// A smooth gradient with a sharp square: compresses realistically and shows misplaced pixels.
    func testImage(width: Int = 96, height: Int = 64) throws -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                let inSquare = (20..<40).contains(x) && (16..<36).contains(y)
                pixels +=
                    inSquare ? [250, 20, 30] : [UInt8(x * 255 / width), UInt8(y * 255 / height), 128]
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
        let mse =
            zip(a.pixels, b.pixels).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) }
            / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    @Test func pngRoundTripsLosslesslyWithMetadata() throws {
        let image = try testImage()
        let metadata = ImageMetadata(
            preset: "sd15", seed: 13, source: "Samples/sd15 é.safetensors", engine: "approx",
            timings: ["decode": 1.25, "upload": 0.5])
        let png = try PNGCodec.encode(image, text: metadata.textChunks)
        #expect(ImageDecoder.kind(of: png) == .png)
        let decoded = try PNGCodec.decode(png)
        #expect(decoded.image == image)
        #expect(decoded.text["Software"] == "latentty")
        #expect(ImageMetadata(textChunks: decoded.text) == metadata)
        let unicode = try PNGCodec.encode(image, text: [("latentty.source", "潜在.safetensors")])
        #expect(try PNGCodec.decode(unicode).text["latentty.source"] == "潜在.safetensors")
    }

    @Test func jpegRoundTripsCloselyAtTheRightSize() throws {
        let image = try testImage()
        let jpeg = try JPEGCodec.encode(image, quality: 95)
        #expect(ImageDecoder.kind(of: jpeg) == .jpeg)
        let decoded = try ImageDecoder.decode(jpeg)
        #expect(decoded.width == 96 && decoded.height == 64)
        #expect(psnr(decoded, image) > 30)
        let worse = try JPEGCodec.decode(try JPEGCodec.encode(image, quality: 10))
        #expect(psnr(worse, image) < psnr(decoded, image))
    }

    @Test func brokenInputGivesErrorsNotCrashes() throws {
        #expect(throws: ImageCodecError.notAnImage) { try ImageDecoder.decode([1, 2, 3]) }
        let png = try PNGCodec.encode(try testImage())
        #expect(throws: ImageCodecError.self) {
            try ImageDecoder.decode(Array(png.prefix(png.count / 2)))
        }
        #expect(throws: ImageCodecError.self) { try ImageDecoder.decode(Array(png.prefix(20))) }
        let jpeg = try JPEGCodec.encode(try testImage())
        #expect(throws: ImageCodecError.self) { try ImageDecoder.decode(Array(jpeg.prefix(12))) }
        #expect(throws: ImageCodecError.invalidDimensions(width: 2, height: 2, bytes: 5)) {
            try RGBImage(width: 2, height: 2, pixels: [0, 0, 0, 0, 0])
        }
    }

    /// A JPEG that breaks off shows what it has where a preview is wanted, but an encoder must see
    /// the whole picture, so `complete` refuses it — as a PNG cut short always is — in those words.
    @Test func imagesCutShortAreNamedSo() throws {
        let image = try testImage(width: 64, height: 48)
        let jpeg = try JPEGCodec.encode(image)
        let half = Array(jpeg.prefix(jpeg.count / 2))
        let partial = try ImageDecoder.decode(half)
        #expect(partial.width == 64 && partial.height == 48)
        #expect(throws: ImageCodecError.cutShort(format: "JPEG", detail: "Premature end of JPEG file")) {
            try ImageDecoder.decode(half, complete: true)
        }
        let png = try PNGCodec.encode(image)
        do {
            _ = try ImageDecoder.decode(Array(png.prefix(png.count - 30)), complete: true)
            Issue.record("a PNG cut short decoded")
        } catch {
            #expect(error.description.hasPrefix("the PNG is cut short or corrupt"), "\(error)")
        }
    }

    @Test func aPNGClaimingHugeDimensionsIsRefused() throws {
        var png = try PNGCodec.encode(try testImage(width: 4, height: 4))
        // IHDR width sits at byte 16 (big-endian); claim 1,000,000 pixels wide.
        png.replaceSubrange(16..<20, with: [0x00, 0x0F, 0x42, 0x40])
        #expect(throws: ImageCodecError.self) { try PNGCodec.decode(png) }
    }

    @Test func headersClaimingMorePixelsThanTheBytesHoldAreRefusedBeforeAllocating() throws {
        // A 96×64 image whose header claims 16384×16384: once 805 MB allocated for a file of a few KB.
        var png = try PNGCodec.encode(try testImage())
        let side: [UInt8] = [0, 0, 0x40, 0]
        png.replaceSubrange(16..<24, with: side + side)
        png.replaceSubrange(29..<33, with: withUnsafeBytes(of: Data(png[12..<29]).crc32(checksum: 0).bigEndian, Array.init))
        #expect(
            throws: ImageCodecError.moreThanItsBytesHold(width: 16_384, height: 16_384, bytes: png.count),
            performing: { try PNGCodec.decode(png) })
        var jpeg = try JPEGCodec.encode(try testImage())
        let frame = try #require(jpeg.indices.first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        jpeg.replaceSubrange((frame + 5)..<(frame + 9), with: [0x40, 0, 0x40, 0])
        #expect(
            throws: ImageCodecError.moreThanItsBytesHold(width: 16_384, height: 16_384, bytes: jpeg.count),
            performing: { try JPEGCodec.decode(jpeg) })
    }

}
