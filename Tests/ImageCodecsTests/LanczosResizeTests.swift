import Foundation
import Testing

@testable import ImageCodecs

/// Resizing as diffusers' `VaeImageProcessor` does (PIL Lanczos down to multiples of 8), against
/// its own output (Tests/Fixtures/encode/GENERATE_RESIZE.py).
@Suite struct LanczosResizeTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/encode")

    static func image(_ name: String) throws -> RGBImage {
        try PNGCodec.decode(Array(try Data(contentsOf: folder.appendingPathComponent(name)))).image
    }

    @Test(arguments: [("resize_in_37x21.png", "resize_lanczos_32x16.png"), ("resize_in_64x29.png", "resize_lanczos_64x24.png")])
    func matchesPILToTheByte(input: String, expected: String) throws {
        let reference = try Self.image(expected)
        let source = try Self.image(input)
        let size = EncoderInput.size(width: source.width, height: source.height)
        #expect(size.width == reference.width && size.height == reference.height)
        #expect(try LanczosResize.resize(source, width: reference.width, height: reference.height) == reference)
    }
}
