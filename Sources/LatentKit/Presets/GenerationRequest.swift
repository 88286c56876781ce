public enum GenerationError: Error, Equatable, CustomStringConvertible {
    case badSize(String)
    case sizeNotMultiple(preset: String, width: Int, height: Int, multiple: Int)
    case framesNotAllowed(preset: String)
    case badFrameCount(preset: String, frames: Int, factor: Int)
    case packingNotSupported(preset: String)
    case badBatch(Int)

    public var description: String {
        switch self {
        case .badSize(let text):
            return "size '\(text)' is not WIDTHxHEIGHT, e.g. 512x512"
        case .sizeNotMultiple(let preset, let width, let height, let multiple):
            let round = { (side: Int) in max(multiple, (side + multiple / 2) / multiple * multiple) }
            return
                "\(preset) images are a multiple of \(multiple) pixels on each side; \(width)x\(height) is not (try \(round(width))x\(round(height)))"
        case .framesNotAllowed(let preset):
            return "\(preset) is an image model; --frames is for video presets such as hunyuanvideo"
        case .badFrameCount(let preset, let frames, let factor):
            let below = max(1, (frames - 1) / factor * factor + 1)
            return
                "\(preset) makes \(factor)·k+1 frames; \(frames) is not one (try \(below) or \(below + factor))"
        case .packingNotSupported(let preset):
            return "\(preset) latents are never packed; --packed is for Flux"
        case .badBatch(let batch):
            return "batch must be at least 1, not \(batch)"
        }
    }
}

/// The latent shape a pipeline would sample for an image (or video) size, as diffusers computes it.
public struct GenerationRequest: Sendable, Equatable {
    public var preset: Preset
    public var width: Int
    public var height: Int
    /// Video frames (pixel frames, not latent frames); nil for image presets.
    public var frames: Int?
    public var batch: Int
    public var packed: Bool

    public init(
        preset: Preset, width: Int, height: Int, frames: Int? = nil, batch: Int = 1,
        packed: Bool = false
    ) {
        self.preset = preset
        self.width = width
        self.height = height
        self.frames = frames
        self.batch = batch
        self.packed = packed
    }

    /// Parses `512x512` (width × height).
    public static func parseSize(_ text: String) throws(GenerationError) -> (width: Int, height: Int) {
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0,
            height > 0
        else {
            throw .badSize(text)
        }
        return (width, height)
    }

    /// Default frame count for a video preset: HunyuanVideo's 61-frame clips.
    public static let defaultVideoFrames = 61

    /// The shape `randn` draws (always unpacked); pack afterwards when `packed`.
    public func sampleShape() throws(GenerationError) -> [Int] {
        guard batch >= 1 else { throw .badBatch(batch) }
        if packed && !preset.packed { throw .packingNotSupported(preset: preset.name) }
        // Flux packs 2×2 latent cells, so its images are multiples of twice the spatial factor.
        let multiple = preset.packed ? preset.spatialFactor * 2 : preset.spatialFactor
        guard width % multiple == 0, height % multiple == 0 else {
            throw .sizeNotMultiple(preset: preset.name, width: width, height: height, multiple: multiple)
        }
        let h = height / preset.spatialFactor
        let w = width / preset.spatialFactor
        guard let factor = preset.temporalFactor else {
            if frames != nil { throw .framesNotAllowed(preset: preset.name) }
            return [batch, preset.latentChannels, h, w]
        }
        let frameCount = frames ?? Self.defaultVideoFrames
        guard frameCount >= 1, (frameCount - 1) % factor == 0 else {
            throw .badFrameCount(preset: preset.name, frames: frameCount, factor: factor)
        }
        return [batch, preset.latentChannels, (frameCount - 1) / factor + 1, h, w]
    }

    /// Seeded noise exactly as `torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))`,
    /// packed afterwards when asked, as Flux's `prepare_latents` does.
    public func generate(seed: UInt64, dtype: DType) throws -> Tensor {
        var generator = TorchGenerator(seed: seed)
        let noise = try generator.randn(shape: sampleShape(), dtype: dtype)
        return packed ? try FluxPacking.pack(noise) : noise
    }
}
