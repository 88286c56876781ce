import Synchronization
import Testing

@testable import LatentKit
@testable import NativeVAE

/// latent2rgb hands a video's frames out as it renders each latent frame, and they add up to its output.
@Suite struct Latent2RGBFramesTests {
    @Test func eachLatentFramesOutputFramesComeInOrderAndMakeTheClip() throws {
        var generator = TorchGenerator(seed: 3)
        let latent = try generator.randn(shape: [2, 16, 3, 4, 4], dtype: .float32)
        let handed = Mutex<[DecodedFrames]>([])
        let pixels = try Latent2RGBEngine().decode(latent, preset: .hunyuanVideo) { frames in handed.withLock { $0.append(frames) } }
        #expect(pixels == (try Latent2RGBEngine().decode(latent, preset: .hunyuanVideo)))
        let batches = handed.withLock { $0 }
        // Per item: the first latent frame gives one frame, each later one four.
        #expect(batches.map(\.item) == [0, 0, 0, 1, 1, 1])
        #expect(batches.map(\.first) == [0, 1, 5, 0, 1, 5] && batches.map(\.count) == [1, 4, 4, 1, 4, 4])
        #expect(batches.allSatisfy { $0.total == 9 })
        let values = pixels.floatValues()
        let plane = 32 * 32
        for batch in batches {
            let handedValues = batch.pixels.floatValues()
            for c in 0..<3 {
                let base = ((batch.item * 3 + c) * 9 + batch.first) * plane
                let expected = Array(values[base..<(base + batch.count * plane)])
                let got = Array(handedValues[(c * batch.count * plane)..<((c + 1) * batch.count * plane)])
                #expect(got == expected, "item \(batch.item) frames \(batch.first)… channel \(c)")
            }
        }
    }
}
