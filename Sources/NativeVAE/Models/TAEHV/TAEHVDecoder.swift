import Foundation

/// TAEHV's decoder (madebyollin/taehv, `TAEHV.decoder`): `tanh(x/3)·3`, conv + ReLU, then three
/// stages of [3 × MemBlock, 2× nearest upsampling, TGrow, conv], a ReLU and a conv to RGB; every
/// convolution is 2-D, per frame. Time enters only through the MemBlocks (each sees its own input
/// at the previous time step) and the TGrows (one frame in, `stride` frames out). The order of
/// work over frames is the caller's: `TAEHVStreaming` runs one frame through the whole network,
/// `TAEHVParallel` runs each layer over a chunk of frames.
final class TAEHVDecoder {
    /// relu(conv(relu(conv(relu(conv(cat[x, past]))))) + x). The first convolution is split along
    /// its input channels into one over `x` and one over `past` that accumulates, so nothing is
    /// concatenated and the first frame's zero memory costs nothing.
    struct MemBlock {
        let current: Conv2D
        let previous: Conv2D
        let middle: Conv2D
        let last: Conv2D

        /// The branch's first convolution, for a frame with a past.
        func head(_ x: borrowing Activation, past: borrowing Activation, context: DNNL) throws -> Activation {
            var h = try current(x, context: context)
            try previous.accumulate(past, into: &h, relu: true, context: context)
            return h
        }

        /// The same for the first frame, whose past is zeros.
        func head(_ x: borrowing Activation, context: DNNL) throws -> Activation {
            try current(x, relu: true, context: context)
        }

        /// `skip = relu(skip + conv(relu(conv(h))))`: the rest of the branch and the identity skip.
        func finish(_ h: consuming Activation, into skip: inout Activation, context: DNNL) throws {
            let h = try middle.replacing(h, relu: true, context: context)
            try last.accumulate(h, into: &skip, relu: true, context: context)
        }
    }

    struct Stage {
        let blocks: [MemBlock]
        /// TGrow: a 1×1 convolution n → n·stride whose output channels are `stride` frames in turn,
        /// kept as one n → n convolution per frame. It runs before the upsampling (a 1×1
        /// convolution commutes with nearest upsampling), on a quarter of the pixels.
        let grow: [Conv2D]
        /// The convolution after the 2× upsampling, which reads the small image directly.
        let project: Conv2D
        /// The ReLU after the last stage's projection.
        let relu: Bool

        func projected(_ frame: borrowing Activation, context: DNNL) throws -> Activation {
            try project.upsampling(frame, relu: relu, context: context)
        }
    }

    let latentChannels: Int
    let input: Conv2D
    let stages: [Stage]
    let output: Conv2D
    /// How many frames each latent frame becomes, and how many of the first frames are dropped
    /// (they exist only to align the clip with the full VAE's causal start).
    var temporalFactor: Int { stages.reduce(1) { $0 * $1.grow.count } }
    var framesToTrim: Int { temporalFactor - 1 }
    var spatialFactor: Int { 1 << stages.count }

    init(latentChannels: Int, input: Conv2D, stages: [Stage], output: Conv2D) {
        self.latentChannels = latentChannels
        self.input = input
        self.stages = stages
        self.output = output
    }

    func outputFrames(latentFrames: Int) -> Int { latentFrames * temporalFactor - framesToTrim }

    /// One VAE-space latent frame `[C, H, W]` into the first stage's activation.
    func enter(_ latent: FeatureMap, context: DNNL) throws -> Activation {
        var clamped = latent
        clamped.data = clamped.data.map { tanhf($0 / 3) * 3 }
        let x = try Activation(clamped, type: input.computeType, context: context)
        return try input(x, relu: true, context: context)
    }

    /// The last stage's projected frame to RGB `[3, H, W]` in [-1, 1] (taehv's [0, 1], clamped, mapped).
    func exit(_ frame: borrowing Activation, context: DNNL) throws -> FeatureMap {
        var image = try output(frame, context: context).featureMap(context: context)
        image.data = image.data.map { min(max($0, 0), 1) * 2 - 1 }
        return image
    }

    /// Bytes of activations that parallel decoding holds per latent frame of a chunk, at its
    /// peak: one stage's frames and the next stage's, while the TGrow and projection run between
    /// them. (The last stage's tail runs one frame at a time, and the blocks' working activations
    /// are a few frames whatever the chunk: neither grows with it.) `height·width` is the latent's.
    func parallelBytesPerLatentFrame(height: Int, width: Int) -> Int {
        var (frames, pixels, peak) = (1, height * width, 0)
        for (index, stage) in stages.enumerated() {
            let here = frames * stage.project.inChannels * pixels
            let (nextFrames, nextPixels) = (frames * stage.grow.count, pixels * 4)
            let next = index == stages.count - 1 ? 0 : nextFrames * stage.project.outChannels * nextPixels
            peak = max(peak, here + next)
            (frames, pixels) = (nextFrames, nextPixels)
        }
        return peak * 4
    }
}

/// What a decode carries from one time step to the next: each MemBlock's input at the previous
/// step (nil before the first) and how many frames have come out of the last TGrow.
final class TAEHVState {
    let memories: [[ActivationSlot]]
    var framesMade = 0

    init(_ decoder: TAEHVDecoder) {
        memories = decoder.stages.map { $0.blocks.map { _ in ActivationSlot() } }
    }
}

/// A place for one activation, so collections of them can live in arrays (which need copyable
/// elements): a value is moved out with `take` and back with `put`.
final class ActivationSlot {
    private var activation: Activation?

    init() {}

    init(_ activation: consuming Activation) { self.activation = .some(activation) }

    func take() -> Activation? { activation.take() }

    func put(_ value: consuming Activation) { activation = .some(value) }
}

extension Activation {
    /// A copy of the same size, type and layout.
    func copied() -> Activation {
        let result = Activation(channels: channels, height: height, width: width, type: type, layout: layout)
        result.pointer.copyMemory(from: pointer, byteCount: count * type.size)
        return result
    }
}
