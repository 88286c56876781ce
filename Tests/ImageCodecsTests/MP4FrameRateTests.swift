import Foundation
import ImageCodecs
import Testing

struct MP4FrameRateTests {
    /// The rate a video was made at is the rate `show --play` reads back.
    @Test(arguments: [15, 24])
    func theRateAVideoWasEncodedAtIsReadBack(fps: Int) throws {
        let frames = try (0..<3).map { index in
            try RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: UInt8(index * 60), count: 16 * 16 * 3))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-rate-\(UUID().uuidString).mp4")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(try MP4Encoder.encode(frames, fps: fps)).write(to: url)
        #expect(MP4Decoder.frameRate(of: url) == Double(fps))
        #expect(MP4Decoder.frameRate(of: URL(fileURLWithPath: "/nonexistent.mp4")) == nil)
    }
}
