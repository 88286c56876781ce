/// The two orders in which `TAEHVDecoder` can visit (layer, frame) pairs. Both give the same
/// frames; they differ in what they hold. Both carry the MemBlocks' memories in a `TAEHVState`, so
/// a clip can be fed to either in pieces.

/// taehv.py's `parallel=False`: each latent frame goes through the whole network, depth first
/// (a TGrow's first frame reaches the output before its second starts), so the memory held is
/// one frame per layer whatever the clip's length.
struct TAEHVStreaming {
    let decoder: TAEHVDecoder
    let context: DNNL

    func push(_ latent: FeatureMap, state: TAEHVState, emit: (FeatureMap) throws -> Void) throws {
        try run(try decoder.enter(latent, context: context), stage: 0, state: state, emit: emit)
    }

    private func run(_ x: consuming Activation, stage index: Int, state: TAEHVState, emit: (FeatureMap) throws -> Void) throws {
        let stage = decoder.stages[index]
        for (block, memory) in zip(stage.blocks, state.memories[index]) {
            let h: Activation
            if let past = memory.take() {
                h = try block.head(x, past: past, context: context)
            } else {
                h = try block.head(x, context: context)
            }
            // This input is the next frame's past; the output replaces the working copy.
            memory.put(x.copied())
            try block.finish(h, into: &x, context: context)
        }
        for grow in stage.grow {
            let grown = try grow(x, context: context)
            if index == decoder.stages.count - 1 {
                try decoder.finishFrame(grown, state: state, context: context, emit: emit)
            } else {
                try run(try stage.projected(grown, context: context), stage: index + 1, state: state, emit: emit)
            }
        }
    }
}

/// taehv.py's `parallel=True` over a chunk of latent frames: each layer runs over all the chunk's
/// frames before the next layer starts, so a layer's transformed weights are read from cache for
/// every frame after the first, at the cost of holding the chunk's frames. The last stage's
/// projection and output convolution, which have no memory, run one frame at a time.
struct TAEHVParallel {
    let decoder: TAEHVDecoder
    let context: DNNL

    func push(_ latents: [FeatureMap], state: TAEHVState, emit: (FeatureMap) throws -> Void) throws {
        var frames = try latents.map { ActivationSlot(try decoder.enter($0, context: context)) }
        for (index, stage) in decoder.stages.enumerated() {
            for (block, memory) in zip(stage.blocks, state.memories[index]) {
                try run(block, over: frames, memory: memory)
            }
            var next: [ActivationSlot] = []
            for slot in frames {
                guard let x = slot.take() else { continue }
                for grow in stage.grow {
                    let grown = try grow(x, context: context)
                    if index == decoder.stages.count - 1 {
                        try decoder.finishFrame(grown, state: state, context: context, emit: emit)
                    } else {
                        next.append(ActivationSlot(try stage.projected(grown, context: context)))
                    }
                }
            }
            frames = next
        }
    }

    /// Each frame's past is the frame before it (the carried memory for the first). Frames are
    /// overwritten with their outputs from the last back, so each is still the block's input when
    /// its successor reads it; the last input is kept first, as the next chunk's memory.
    private func run(_ block: TAEHVDecoder.MemBlock, over frames: [ActivationSlot], memory: ActivationSlot) throws {
        guard let last = frames.last?.take() else { return }
        let carried = memory.take()
        memory.put(last.copied())
        frames[frames.count - 1].put(last)
        for t in stride(from: frames.count - 1, to: 0, by: -1) {
            guard var x = frames[t].take(), let past = frames[t - 1].take() else { continue }
            let h = try block.head(x, past: past, context: context)
            frames[t - 1].put(past)
            try block.finish(h, into: &x, context: context)
            frames[t].put(x)
        }
        guard var first = frames[0].take() else { return }
        let h: Activation
        if let past = carried {
            h = try block.head(first, past: past, context: context)
        } else {
            h = try block.head(first, context: context)
        }
        try block.finish(h, into: &first, context: context)
        frames[0].put(first)
    }
}

extension TAEHVDecoder {
    /// A frame out of the last TGrow: dropped while among the first `framesToTrim`, else projected
    /// and made RGB. (Dropped frames skip the two largest convolutions: nothing later reads them.)
    func finishFrame(_ grown: borrowing Activation, state: TAEHVState, context: DNNL, emit: (FeatureMap) throws -> Void) throws {
        state.framesMade += 1
        guard state.framesMade > framesToTrim, let stage = stages.last else { return }
        try emit(try exit(try stage.projected(grown, context: context), context: context))
    }
}
