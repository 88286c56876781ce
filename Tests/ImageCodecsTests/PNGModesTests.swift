import Foundation
import Testing

@testable import ImageCodecs

/// PNGs that are not 8-bit RGB reach an encoder as PIL's `convert("RGB")` gives them to diffusers
/// (Tests/Fixtures/encode/GENERATE_MODES.py): grey spread to three channels, alpha dropped, palettes looked up,
/// CMYK inks turned into light.
@Suite struct PNGModesTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/encode")

    static func image(_ name: String) throws -> RGBImage {
        try PNGCodec.decode(Array(try Data(contentsOf: folder.appendingPathComponent(name)))).image
    }

    @Test(arguments: ["L", "LA", "RGBA", "P"]) func decodesAsPILConvertsToRGB(mode: String) throws {
        #expect(try Self.image("mode_\(mode).png") == (try Self.image("mode_\(mode)_rgb.png")))
    }

    /// CMYK JPEGs (Photoshop's and Pillow's, inks stored inverted) and grey ones, as Pillow converts them.
    @Test(arguments: ["CMYK", "L"]) func jpegsDecodeAsPILConvertsToRGB(mode: String) throws {
        let jpeg = try JPEGCodec.decode(Array(try Data(contentsOf: Self.folder.appendingPathComponent("mode_\(mode).jpg"))))
        let expected = try Self.image("mode_\(mode)_jpg_rgb.png")
        #expect(jpeg == expected)
        #expect(jpeg.pixels != [UInt8](repeating: jpeg.pixels[0], count: jpeg.pixels.count))
    }
}
