import Foundation
import Testing

@testable import ImageCodecs

/// An MP4 encoded frame by frame is a whole video of those frames; a cancelled one leaves nothing.
@Suite struct MP4StreamTests {
    func frame(_ shade: UInt8) throws -> RGBImage {
        try RGBImage(width: 32, height: 16, pixels: [UInt8](repeating: shade, count: 32 * 16 * 3))
    }

    @Test func framesAppendedOneByOneMakeAVideoOfThem() throws {
        let stream = try MP4Stream(width: 32, height: 16)
        for shade in stride(from: 0, to: 250, by: 50) { try stream.append(try frame(UInt8(shade))) }
        #expect(stream.frameCount == 5)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-stream-\(UUID().uuidString).mp4")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(try stream.finish()).write(to: file)
        let frames = try MP4Decoder.frames(of: file)
        #expect(frames.count == 5)
        #expect(frames.map { Int($0.pixels[0]) }.enumerated().allSatisfy { abs($0.element - $0.offset * 50) <= 3 })
    }

    @Test func aFrameOfAnotherSizeIsRefused() throws {
        let stream = try MP4Stream(width: 16, height: 16)
        #expect(throws: MP4Encoder.EncodeError.mixedSizes) { try stream.append(try frame(0)) }
        stream.cancel()
        #expect(throws: MP4Encoder.EncodeError.self) { try stream.finish() }
    }

    /// An encoder that quits before reading its input: the frames written to it fail the encode
    /// with its exit status, and latentty lives on (no SIGPIPE).
    @Test func anEncoderThatDiesEarlyFailsTheEncodeNotTheProcess() throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-dying-ffmpeg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: script) }
        try "#!/bin/sh\necho 'no encoder here' >&2\nexit 3\n".write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        let stream = try MP4Stream(ffmpeg: script, width: 512, height: 512, fps: 15)
        let big = try RGBImage(width: 512, height: 512, pixels: [UInt8](repeating: 9, count: 512 * 512 * 3))
        for _ in 0..<8 { try stream.append(big) }
        #expect(throws: MP4Encoder.EncodeError.ffmpegFailed(status: 3, message: "no encoder here")) { try stream.finish() }
    }
}
