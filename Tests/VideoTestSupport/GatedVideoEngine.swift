import Foundation
import LatentKit
import NativeVAE
import Synchronization

/// A video engine for tests: latent2rgb's pixels, handed out one frame at a time, each frame after
/// the first only once the test opens the gate for it, so "the first frame is there while the rest
/// still decode" is checked without timing. With `failingAfter` it throws once that many frames
/// are out, as an engine failing halfway through a clip would.
public final class GatedVideoEngine: DecodeEngine {
    public let name = "gated"
    private let gate = DispatchSemaphore(value: 0)
    private let failingAfter: Int?

    public init(failingAfter: Int? = nil) {
        self.failingAfter = failingAfter
    }

    /// Lets `count` more frames out.
    public func open(_ count: Int = 1) {
        for _ in 0..<count { gate.signal() }
    }

    public func decode(_ latent: Tensor, preset: Preset) throws(EngineError) -> Tensor {
        try Latent2RGBEngine().decode(latent, preset: preset)
    }

    public func decode(_ latent: Tensor, preset: Preset, frames: FrameSink) throws(EngineError) -> Tensor {
        let pixels = try decode(latent, preset: preset)
        guard pixels.rank == 5 else { return pixels }
        let (batch, count, height, width) = (pixels.shape[0], pixels.shape[2], pixels.shape[3], pixels.shape[4])
        let values = pixels.floatValues()
        let plane = height * width
        var handedOut = 0
        for item in 0..<batch {
            for frame in 0..<count {
                if handedOut > 0 { gate.wait() }
                if handedOut == failingAfter { throw .failed(engine: name, reason: "stopped after \(handedOut) frames by the test") }
                var one: [Float] = []
                one.reserveCapacity(3 * plane)
                for channel in 0..<3 {
                    let base = ((item * 3 + channel) * count + frame) * plane
                    one += values[base..<(base + plane)]
                }
                guard let clip = try? Tensor(values: one, shape: [3, 1, height, width]) else { continue }
                frames(DecodedFrames(item: item, first: frame, total: count, pixels: clip))
                handedOut += 1
            }
        }
        return pixels
    }
}
