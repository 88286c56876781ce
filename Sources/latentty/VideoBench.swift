import ArgumentParser
import Foundation
import LatentKit
import NativeVAE
import Synchronization

enum VideoForm: String, CaseIterable, ExpressibleByArgument {
    case auto, streaming, parallel

    /// `parallel` runs the whole clip as one chunk.
    func engineForm(frames: Int) -> TAEHVEngine.Form {
        switch self {
        case .auto: .standard
        case .streaming: .streaming
        case .parallel: .parallel(chunkFrames: frames)
        }
    }
}

extension LocalBench {
    /// TAEHV at its real widths with random weights on a seeded latent: total seconds, seconds to
    /// the first frame (what a preview waits), and which form ran.
    func runTAEHV(frames: Int, height: Int, width: Int) throws {
        runtime.apply(precision: .f32)
        let loadStart = Date()
        let engine = try reportingErrors { try TAEHVEngine(form: form.engineForm(frames: frames)) }
        let load = Date().timeIntervalSince(loadStart)
        var generator = TorchGenerator(seed: 13)
        let latent = try generator.randn(shape: [1, 16, frames, height / 8, width / 8])
        let plan = engine.plan(height: height / 8, width: width / 8)
        let first = try timed(engine, latent)
        var best = first
        for _ in 0..<max(0, repeats) {
            let run = try timed(engine, latent)
            if run.seconds < best.seconds { best = run }
        }
        let peak = Self.peakRSS()
        if json {
            printJSONLine([
                "model": model.rawValue, "frames": frames, "width": width, "height": height,
                "form": "\(plan)", "load_seconds": load, "first_seconds": first.seconds, "seconds": best.seconds,
                "first_frame_seconds": best.firstFrame, "peak_rss_mb": peak, "threads": NativeRuntime.threads,
            ])
        } else {
            print(
                String(
                    format:
                        "taehv %d latent frames at %d×%d, %@: %.2f s, first frame after %.2f s (first call %.2f s, engine made in %.2f s), peak RSS %d MB",
                    frames, width, height, "\(plan)", best.seconds, best.firstFrame, first.seconds, load, peak))
        }
    }

    /// One decode's total time and the time its first frame reached the sink.
    private func timed(_ engine: TAEHVEngine, _ latent: Tensor) throws -> (seconds: Double, firstFrame: Double) {
        let start = Date()
        let firstFrame = Mutex<Double?>(nil)
        _ = try reportingErrors {
            try engine.decode(latent, preset: .hunyuanVideo) { _ in
                firstFrame.withLock { $0 = $0 ?? Date().timeIntervalSince(start) }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        return (seconds, firstFrame.withLock { $0 } ?? seconds)
    }
}
