import Foundation
import ImageCodecs
import Testing

@testable import LatentKit
@testable import NativeVAE

@Suite struct Latent2RGBTests {
    @Test func imageOutputIsTheLinearMapUpscaledByEight() throws {
        // A VAE-space latent whose diffusion-space values are simple: z·0.18215 = (1, 0, 0, 0) at pixel (0,0).
        var values = [Float](repeating: 0, count: 4 * 2 * 3)
        values[0] = 1 / 0.18215
        values[6 + 1] = 2 / 0.18215  // channel 1, pixel (0,1)
        let latent = try Tensor(values: values, shape: [1, 4, 2, 3])
        let pixels = try Latent2RGBEngine().decode(latent, preset: .sd15)
        #expect(pixels.shape == [1, 3, 16, 24])
        let out = pixels.floatValues()
        func at(_ c: Int, _ y: Int, _ x: Int) -> Float { out[(c * 16 + y) * 24 + x] }
        // Pixel block (0,0): row 0 of the SD factors, [0.3512, 0.2297, 0.3227].
        for (c, expected) in [Float(0.3512), 0.2297, 0.3227].enumerated() {
            #expect(abs(at(c, 0, 0) - expected) < 1e-5 && abs(at(c, 7, 7) - expected) < 1e-5)
        }
        // Pixel block (0,1): 2 × row 1 = [0.65, 0.9948, 0.47]; clamped to 1 where above.
        #expect(abs(at(1, 3, 8) - 0.9948) < 1e-4)
        #expect(abs(at(0, 3, 15) - 0.65) < 1e-4)
        // Everywhere else zero (SD has no bias).
        #expect(at(0, 8, 0) == 0 && at(2, 15, 23) == 0)
    }

    @Test func clampsToUnitRange() throws {
        let latent = try Tensor(values: [Float](repeating: 100, count: 4), shape: [1, 4, 1, 1])
        let out = try Latent2RGBEngine().decode(latent, preset: .sd15).floatValues()
        #expect(out.allSatisfy { $0 >= -1 && $0 <= 1 })
    }

    @Test func videoGetsFourFramesPerLatentFrameAfterTheFirst() throws {
        // Three latent frames, each a constant: frame f has every value f+1 (diffusion space).
        let (f, h, w) = (3, 2, 2)
        var values = [Float](repeating: 0, count: 16 * f * h * w)
        for c in 0..<16 { for t in 0..<f { for p in 0..<(h * w) { values[(c * f + t) * h * w + p] = Float(t + 1) / 0.476986 } } }
        let pixels = try Latent2RGBEngine().decode(try Tensor(values: values, shape: [1, 16, f, h, w]), preset: .hunyuanVideo)
        #expect(pixels.shape == [1, 3, 9, 16, 16])
        let out = pixels.floatValues()
        let plane = 16 * 16
        func red(frame: Int) -> Float { out[frame * plane] }
        // Output frame 0 ← latent 0; 1…4 ← latent 1; 5…8 ← latent 2.
        #expect(red(frame: 1) == red(frame: 4) && red(frame: 5) == red(frame: 8))
        #expect(red(frame: 0) != red(frame: 1) && red(frame: 4) != red(frame: 5))
    }

    @Test func refusesWhatItCannotDecode() throws {
        let odd = try Tensor(values: [Float](repeating: 0, count: 3 * 4), shape: [1, 3, 2, 2])
        #expect(throws: EngineError.unsupportedChannels(engine: "approx", channels: 3)) {
            try Latent2RGBEngine().decode(odd, preset: .sd15)
        }
        let flat = try Tensor(values: [Float](repeating: 0, count: 64), shape: [1, 64])
        #expect(throws: EngineError.unsupportedLayout(engine: "approx", shape: [1, 64])) {
            try Latent2RGBEngine().decode(flat, preset: .sd15)
        }
        let big = try Tensor(values: [Float](repeating: 0, count: 4 * 64 * 64), shape: [1, 4, 64, 64])
        #expect(throws: EngineError.outputTooLarge(engine: "approx", bytes: 3_145_728, limit: 1 << 20)) {
            try Latent2RGBEngine(maxOutputBytes: 1 << 20).decode(big, preset: .sd15)
        }
    }
}

@Suite struct PostprocessTests {
    @Test func mapsLikeVaeImageProcessorAndNeverTrapsOnNaN() throws {
        // Red channel carries the values; (x/2 + 0.5)·255, clamped, rounded half to even (127.5 → 128).
        let red: [Float] = [-1, 1, 0, 2, -3, .nan, .infinity, -1.0 / 255]
        let values = red + [Float](repeating: 0, count: 16)
        let images = try TensorImages.images(from: try Tensor(values: values, shape: [1, 3, 1, 8]))
        #expect(images.count == 1)
        let reds = stride(from: 0, to: 24, by: 3).map { images[0].pixels[$0] }
        #expect(reds == [0, 255, 128, 255, 0, 0, 255, 127])
        #expect(images[0].pixels[1] == 128)
    }

    @Test func batchesAndVideoFramesBecomeImagesInOrder() throws {
        var values = [Float](repeating: -1, count: 2 * 3 * 3 * 2 * 2)
        // Batch 1, frame 2, green channel: white.
        for p in 0..<4 { values[((1 * 3 + 1) * 3 + 2) * 4 + p] = 1 }
        let images = try TensorImages.images(from: try Tensor(values: values, shape: [2, 3, 3, 2, 2]))
        #expect(images.count == 6)
        #expect(images[5].pixels == [UInt8](repeating: 0, count: 12).enumerated().map { $0.offset % 3 == 1 ? 255 : 0 })
        #expect(images[4].pixels.allSatisfy { $0 == 0 })
        let uint8 = try TensorImages.uint8Tensor(from: images)
        #expect(uint8.shape == [6, 2, 2, 3])
        #expect(try TensorImages.images(from: uint8) == images)
        #expect(throws: TensorImages.ConversionError.unexpectedShape([1, 4, 2, 2])) {
            try TensorImages.images(from: try Tensor(values: [Float](repeating: 0, count: 16), shape: [1, 4, 2, 2]))
        }
    }

    @Test func mp4EncodingProducesAnMP4() throws {
        let frames = try (0..<5).map { index in
            try RGBImage(width: 33, height: 17, pixels: [UInt8](repeating: UInt8(index * 50), count: 33 * 17 * 3))
        }
        let mp4 = try MP4Encoder.encode(frames, fps: 15)
        #expect(mp4.count > 100)
        #expect(Array(mp4[4..<8]) == Array("ftyp".utf8))
        #expect(throws: MP4Encoder.EncodeError.noFrames) { try MP4Encoder.encode([]) }
    }
}
