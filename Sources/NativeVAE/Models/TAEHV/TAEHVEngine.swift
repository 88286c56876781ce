import Foundation
import LatentKit

/// TAEHV (madebyollin/taehv): the tiny decoder for HunyuanVideo (and, with `taew2_1` weights, Wan
/// 2.1) latents. Takes VAE-space `[B, 16, T, H, W]` and makes `[B, 3, 4T−3, 8H, 8W]` in [-1, 1],
/// handing each frame to the sink as soon as it is final.
public final class TAEHVEngine: DecodeEngine, @unchecked Sendable {
    // The decoder's layers cache compiled primitives and transformed weights; every use holds the
    // oneDNN context's lock.
    public let name = "tiny"
    private let decoder: TAEHVDecoder
    private let context: DNNL
    public let form: Form

    /// How frames go through the network (see `TAEHVStreaming` and `TAEHVParallel`).
    public enum Form: Sendable, Equatable {
        /// Parallel chunks as large as fit in `memoryBudget` bytes of activations (and half the
        /// system's free memory), else streaming.
        /// Parallel is the faster (each layer's weights stay in cache across a chunk's frames);
        /// streaming holds one frame per layer, so its memory stays flat however long the clip.
        case automatic(memoryBudget: Int)
        case streaming
        /// Chunks of this many latent frames.
        case parallel(chunkFrames: Int)

        public static let standard = Form.automatic(memoryBudget: 256 << 20)
    }

    /// The form a decode of a latent this size takes: streaming, or parallel with its chunk size.
    public enum Plan: Sendable, Equatable, CustomStringConvertible {
        case streaming
        case parallel(chunkFrames: Int)

        public var description: String {
            switch self {
            case .streaming: "streaming (one frame at a time)"
            case .parallel(let chunk): "parallel over time (chunks of \(chunk) latent frames)"
            }
        }
    }

    /// TAEHV's widths and strides with made-up weights (benchmarks: same FLOPs and memory as the real one).
    public init(randomWidths widths: [Int] = [256, 128, 64, 64], latentChannels: Int = 16, form: Form = .standard) throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        let weights = WeightStore.random(seed: 0)
        weights.winograd = .always
        decoder = try TAEHVDecoder(latentChannels: latentChannels, widths: widths, strides: [1, 2, 2], weights: weights)
        self.context = context
        self.form = form
    }

    public convenience init(location: VAELocation, form: Form = .standard) throws {
        try self.init(weights: try WeightStore.load(location.weights), fileName: location.weights.lastPathComponent, form: form)
    }

    /// Around weights already read (`EngineName.makeEngine` reads them once to tell TAEHV from TAESD).
    init(weights: WeightStore, fileName: String, form: Form = .standard) throws {
        guard let context = DNNL.shared else { throw NativeError.dnnl(call: "dnnl_engine_create", status: -1) }
        // The same layers run for every frame of a clip (hundreds of times): their transformed
        // weights are kept, where the image decoders' per-call rule would transform small frames'
        // weights afresh each time.
        weights.winograd = .always
        decoder = try TAEHVDecoder(weights: weights, fileName: fileName)
        self.context = context
        self.form = form
    }

    /// The checkpoints a folder (madebyollin/taehv's snapshot) is searched for, preferred first.
    public static let fileNames = ["taehv.safetensors", "taehv.pth"]

    /// Whether weights are a TAEHV-family decoder (taehv's `decoder.N` names), not TAESD's.
    static func recognizes(_ weights: WeightStore) -> Bool {
        return weights.has(TAEHVDecoder.inputConv + ".weight") && weights.has(TAEHVDecoder.outputConv + ".weight")
    }

    public func plan(height: Int, width: Int) -> Plan {
        switch form {
        case .streaming: return .streaming
        case .parallel(let chunk): return .parallel(chunkFrames: max(1, chunk))
        case .automatic(let budget):
            // Never more than half of what the system has free: the clip and the weights need room too.
            let usable = min(budget, (NativeRuntime.availableMemory() ?? budget * 2) / 2)
            let chunk = usable / max(1, decoder.parallelBytesPerLatentFrame(height: height, width: width))
            return chunk >= 2 ? .parallel(chunkFrames: chunk) : .streaming
        }
    }

    public func decode(_ latent: Tensor, preset: Preset) throws(EngineError) -> Tensor {
        try decode(latent, preset: preset, frames: { _ in })
    }

    public func decode(_ latent: Tensor, preset: Preset, frames sink: FrameSink) throws(EngineError) -> Tensor {
        guard latent.rank == 5, latent.shape[2] > 0 else {
            throw .failed(engine: name, reason: "TAEHV decodes video latents [B, C, T, H, W] with T ≥ 1, not \(latent.shape.shapeText)")
        }
        let (batch, channels, count, height, width) = (latent.shape[0], latent.shape[1], latent.shape[2], latent.shape[3], latent.shape[4])
        guard channels == decoder.latentChannels else { throw .unsupportedChannels(engine: name, channels: channels) }
        let factor = decoder.spatialFactor
        let (total, outHeight, outWidth) = (decoder.outputFrames(latentFrames: count), height * factor, width * factor)
        let outPlane = outHeight * outWidth
        let bytes = batch * 3 * total * outPlane * 4
        guard bytes <= Self.maxOutputBytes else { throw .outputTooLarge(engine: name, bytes: bytes, limit: Self.maxOutputBytes) }
        let values = latent.converted(to: .float32).floatValues()
        let plane = height * width
        // The clip's float32 bytes, written frame by frame and handed to the tensor as they are (a
        // [Float] would be copied once more into the tensor's bytes, doubling the largest buffer).
        var output = [UInt8](repeating: 0, count: bytes)
        let plan = plan(height: height, width: width)
        do {
            try context.lock.withLock { _ in
                defer { ActivationPool.shared.drain() }
                NativeRuntime.applyToCurrentThread()
                for item in 0..<batch {
                    let frame = { (t: Int) in
                        var data = [Float](repeating: 0, count: channels * plane)
                        for c in 0..<channels {
                            let start = ((item * channels + c) * count + t) * plane
                            data.replaceSubrange((c * plane)..<((c + 1) * plane), with: values[start..<(start + plane)])
                        }
                        return FeatureMap(channels: channels, height: height, width: width, data: data)
                    }
                    var made = 0
                    let emit = { (image: FeatureMap) throws in
                        for c in 0..<3 {
                            let start = ((item * 3 + c) * total + made) * outPlane
                            output.withUnsafeMutableBytes { target in
                                image.data.withUnsafeBytes { source in
                                    let plane = outPlane * 4
                                    (target.baseAddress! + start * 4).copyMemory(from: source.baseAddress! + c * plane, byteCount: plane)
                                }
                            }
                        }
                        sink(
                            DecodedFrames(
                                item: item, first: made, total: total,
                                pixels: try Tensor(values: image.data, shape: [3, 1, outHeight, outWidth])))
                        made += 1
                    }
                    let state = TAEHVState(decoder)
                    switch plan {
                    case .streaming:
                        let streaming = TAEHVStreaming(decoder: decoder, context: context)
                        for t in 0..<count { try streaming.push(frame(t), state: state, emit: emit) }
                    case .parallel(let chunk):
                        // The first latent frame alone, so the first output frame comes after one
                        // frame's work rather than a whole chunk's.
                        let parallel = TAEHVParallel(decoder: decoder, context: context)
                        var start = 0
                        while start < count {
                            let end = start == 0 ? 1 : start + min(chunk, count - start)
                            try parallel.push((start..<end).map(frame), state: state, emit: emit)
                            start = end
                        }
                    }
                }
            }
            return try Tensor(dtype: .float32, shape: [batch, 3, total, outHeight, outWidth], bytes: output)
        } catch {
            throw .failed(engine: name, reason: String(describing: error))
        }
    }

    /// The returned clip is one array; past this a decode is refused before it starts.
    static let maxOutputBytes = 8 << 30
}
