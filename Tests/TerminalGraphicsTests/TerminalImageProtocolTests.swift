import CSystemZlib
import Foundation
import ImageCodecs
import Testing

@testable import TerminalGraphics

/// One kitty graphics command as a terminal would read it.
struct KittyCommand {
    var keys: [String: String]
    var payload: [UInt8]
}

/// Splits `bytes` into `ESC _ G keys [; payload] ESC \` commands and fails on anything between them.
func kittyCommands(_ bytes: [UInt8]) -> [KittyCommand] {
    var commands: [KittyCommand] = []
    var index = 0
    while index < bytes.count {
        guard Array(bytes[index..<min(index + 3, bytes.count)]) == [0x1B, 0x5F, 0x47] else {
            Issue.record("stray byte \(bytes[index]) at \(index)")
            return commands
        }
        var end = index + 3
        while end + 1 < bytes.count, !(bytes[end] == 0x1B && bytes[end + 1] == 0x5C) { end += 1 }
        #expect(end + 1 < bytes.count, "unterminated command")
        let body = bytes[(index + 3)..<end]
        let parts = body.split(separator: 0x3B, maxSplits: 1, omittingEmptySubsequences: false)
        var keys: [String: String] = [:]
        for pair in String(decoding: parts[0], as: UTF8.self).split(separator: ",") {
            let keyValue = pair.split(separator: "=", maxSplits: 1)
            keys[String(keyValue[0])] = String(keyValue[1])
        }
        commands.append(KittyCommand(keys: keys, payload: parts.count > 1 ? Array(parts[1]) : []))
        index = end + 2
    }
    return commands
}

func inflate(_ bytes: [UInt8], expectedSize: Int) -> [UInt8]? {
    var size = uLong(expectedSize)
    var output = [UInt8](repeating: 0, count: expectedSize)
    let status = output.withUnsafeMutableBufferPointer { out in
        bytes.withUnsafeBufferPointer { uncompress(out.baseAddress, &size, $0.baseAddress, uLong($0.count)) }
    }
    return status == Z_OK && Int(size) == expectedSize ? output : nil
}

/// Deterministic noise, which zlib cannot shrink.
func noise(count: Int) -> [UInt8] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}

@Suite struct KittyGraphicsTests {
    @Test func noisyImageIsSentRawInChunks() throws {
        let image = try RGBImage(width: 64, height: 48, pixels: noise(count: 64 * 48 * 3))
        let commands = kittyCommands(try KittyGraphics.transmit(image, id: 7))
        #expect(commands.count > 2)
        let first = commands[0].keys
        #expect(first == ["a": "t", "f": "24", "s": "64", "v": "48", "i": "7", "q": "2", "m": "1"])
        for command in commands.dropFirst() { #expect(Set(command.keys.keys) == ["m", "q"] && command.keys["q"] == "2") }
        #expect(commands.dropLast().allSatisfy { $0.keys["m"] == "1" && $0.payload.count == KittyGraphics.maxChunk })
        #expect(commands.last?.keys["m"] == "0")
        #expect(commands.last!.payload.count <= KittyGraphics.maxChunk)
        let base64 = commands.flatMap(\.payload)
        #expect(Data(base64Encoded: Data(base64)).map(Array.init) == image.pixels)
    }

    @Test func smoothRGBAIsCompressed() throws {
        let width = 100
        let height = 80
        let pixels: [UInt8] = (0..<height).flatMap { y in
            (0..<width).flatMap { x -> [UInt8] in [UInt8(x), UInt8(y), 128, 255] }
        }
        let bytes = try KittyGraphics.transmit(pixels: pixels, width: width, height: height, format: .rgba, id: 0x0102_0304)
        let commands = kittyCommands(bytes)
        #expect(commands[0].keys["o"] == "z")
        #expect(commands[0].keys["f"] == "32")
        #expect(commands[0].keys["i"] == "16909060")
        let compressed = try #require(Data(base64Encoded: Data(commands.flatMap(\.payload))))
        #expect(compressed.count * 10 <= pixels.count * 9)
        #expect(inflate(Array(compressed), expectedSize: pixels.count) == pixels)
    }

    @Test func smallImageIsOneFinalChunk() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6])
        let bytes = try KittyGraphics.transmit(image, id: 1)
        #expect(String(decoding: bytes, as: UTF8.self) == "\u{1B}_Ga=t,f=24,s=2,v=1,i=1,q=2,m=0;AQIDBAUG\u{1B}\\")
    }

    @Test func placeAndDelete() throws {
        #expect(
            String(decoding: try KittyGraphics.place(id: 9, placement: 2, columns: 40, rows: 20), as: UTF8.self)
                == "\u{1B}_Ga=p,i=9,p=2,c=40,r=20,C=1,q=2\u{1B}\\")
        #expect(String(decoding: try KittyGraphics.delete(id: 9), as: UTF8.self) == "\u{1B}_Ga=d,d=i,i=9,q=2\u{1B}\\")
        #expect(
            String(decoding: try KittyGraphics.delete(id: 9, freeData: true), as: UTF8.self)
                == "\u{1B}_Ga=d,d=I,i=9,q=2\u{1B}\\")
    }

    @Test func refusals() throws {
        let image = try RGBImage(width: 1, height: 1, pixels: [0, 0, 0])
        #expect(throws: KittyGraphicsError.reservedImageID) { try KittyGraphics.transmit(image, id: 0) }
        #expect(throws: KittyGraphicsError.pixelCountMismatch(width: 2, height: 2, bytesPerPixel: 4, bytes: 12)) {
            try KittyGraphics.transmit(pixels: [UInt8](repeating: 0, count: 12), width: 2, height: 2, format: .rgba, id: 1)
        }
        #expect(throws: KittyGraphicsError.emptyArea(columns: 0, rows: 3)) {
            try KittyGraphics.place(id: 1, columns: 0, rows: 3)
        }
        #expect(KittyGraphicsError.reservedImageID.description.contains("reserved"))
    }
}

@Suite struct KittyPlaceholderTests {
    @Test func diacriticTable() {
        let table = KittyDiacritics.codePoints
        #expect(table.count == 297)
        #expect(
            Array(table.prefix(18)) == [
                0x0305, 0x030D, 0x030E, 0x0310, 0x0312, 0x033D, 0x033E, 0x033F, 0x0346, 0x034A, 0x034B, 0x034C,
                0x0350, 0x0351, 0x0352, 0x0357, 0x035B, 0x0363,
            ])
        #expect(table.last == 0x1D244)
        // Ascending with no repeats, and every entry a combining mark that stays in one grapheme.
        #expect(zip(table, table.dropFirst()).allSatisfy { $0 < $1 })
        for codePoint in table {
            let scalar = Unicode.Scalar(codePoint)!
            #expect(scalar.properties.generalCategory == .nonspacingMark)
            #expect(scalar.properties.canonicalCombiningClass.rawValue == 230)
        }
    }

    @Test func virtualPlacement() throws {
        #expect(
            String(decoding: try KittyPlaceholders.virtualPlacement(id: 42, columns: 3, rows: 2), as: UTF8.self)
                == "\u{1B}_Ga=p,U=1,i=42,c=3,r=2,q=2\u{1B}\\")
    }

    @Test func gridCells() throws {
        let rows = try KittyPlaceholders.grid(id: 0x12_3456, columns: 3, rows: 2)
        let p = "\u{10EEEE}"
        #expect(
            rows == [
                "\u{1B}[38;2;18;52;86m\(p)\u{0305}\u{0305}\(p)\u{0305}\u{030D}\(p)\u{0305}\u{030E}\u{1B}[39m",
                "\u{1B}[38;2;18;52;86m\(p)\u{030D}\u{0305}\(p)\u{030D}\u{030D}\(p)\u{030D}\u{030E}\u{1B}[39m",
            ])
        // One grapheme per cell, so the row is exactly as wide as the image.
        let cells = rows[0].filter { $0.unicodeScalars.first == KittyPlaceholders.placeholder }
        #expect(cells.count == 3 && cells.allSatisfy { $0.unicodeScalars.count == 3 })
    }

    @Test func highByteOfTheIDIsAThirdDiacritic() throws {
        let rows = try KittyPlaceholders.grid(id: 0x0300_0001, columns: 1, rows: 1)
        #expect(rows == ["\u{1B}[38;2;0;0;1m\u{10EEEE}\u{0305}\u{0305}\u{0310}\u{1B}[39m"])
    }

    @Test func largestGridAndBeyond() throws {
        let rows = try KittyPlaceholders.grid(id: 1, columns: 297, rows: 297)
        #expect(rows.count == 297)
        // The last cell's row and column diacritics, before the closing `ESC [ 39 m`.
        #expect(rows[296].unicodeScalars.suffix(7).prefix(2).map(\.value) == [0x1D244, 0x1D244])
        #expect(throws: KittyGraphicsError.gridTooLarge(columns: 298, rows: 1, limit: 297)) {
            try KittyPlaceholders.grid(id: 1, columns: 298, rows: 1)
        }
        #expect(throws: KittyGraphicsError.reservedImageID) {
            try KittyPlaceholders.virtualPlacement(id: 0, columns: 1, rows: 1)
        }
    }
}

@Suite struct ITermInlineImageTests {
    @Test func roundTripsThroughPNG() throws {
        let image = try RGBImage(width: 5, height: 4, pixels: noise(count: 5 * 4 * 3))
        let bytes = try ITermInlineImage.encode(image, columns: 30, rows: 12)
        #expect(bytes.starts(with: [0x1B, 0x5D]))
        #expect(bytes.last == 0x07)
        let text = String(decoding: bytes.dropFirst(2).dropLast(), as: UTF8.self)
        let parts = text.split(separator: ":", maxSplits: 1)
        #expect(parts.count == 2)
        let png = try #require(Data(base64Encoded: String(parts[1])))
        #expect(
            parts[0] == "1337;File=inline=1;width=30;height=12;preserveAspectRatio=1;size=\(png.count)")
        #expect(try PNGCodec.decode(Array(png)).image == image)
    }
}

@Suite struct TmuxPassthroughTests {
    @Test func escapesAreDoubled() {
        let wrapped = TmuxPassthrough.wrap(Array("\u{1B}_Ga=d\u{1B}\\".utf8))
        #expect(String(decoding: wrapped, as: UTF8.self) == "\u{1B}Ptmux;\u{1B}\u{1B}_Ga=d\u{1B}\u{1B}\\\u{1B}\\")
    }

    @Test func unwrapsToTheOriginal() throws {
        let original = try KittyGraphics.transmit(try RGBImage(width: 40, height: 40, pixels: noise(count: 4800)), id: 3)
        let wrapped = TmuxPassthrough.wrap(original)
        #expect(wrapped.suffix(2) == [0x1B, 0x5C])
        var inner: [UInt8] = []
        var index = 7
        while index < wrapped.count - 2 {
            if wrapped[index] == 0x1B {
                #expect(wrapped[index + 1] == 0x1B, "a lone ESC would end tmux's wrapper early")
                index += 1
            }
            inner.append(wrapped[index])
            index += 1
        }
        #expect(inner == original)
    }
}

@Suite struct KittyQueryTests {
    @Test func request() {
        #expect(String(decoding: KittyQuery.request, as: UTF8.self) == "\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\")
    }

    @Test func replies() {
        // kitty answers the query and then DA1, in one read.
        #expect(KittyQuery.supported(replies: Array("\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;c".utf8)))
        #expect(!KittyQuery.supported(replies: Array("\u{1B}_Gi=31;ENOTSUPPORTED:no\u{1B}\\\u{1B}[?62;c".utf8)))
        #expect(!KittyQuery.supported(replies: Array("\u{1B}[?63;1;4c".utf8)))
        #expect(!KittyQuery.supported(replies: []))
    }
}
