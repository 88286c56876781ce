import LatentKit

/// The generate dialog: which preset, what size and how many seeded noise latents.
public struct GenerateForm: Sendable, Equatable {
    public enum Field: Int, Sendable, CaseIterable {
        case preset, size, frames, seed, count, dtype

        /// Fields typed into; the others are chosen with ←→.
        var isText: Bool { self == .size || self == .frames || self == .seed || self == .count }
    }

    public var presetIndex: Int
    public var size: TextField
    public var frames: TextField
    public var seed: TextField
    public var count: TextField
    public var dtype: DType
    public var focus: Field
    /// The user typed a size: changing the preset keeps it instead of taking the preset's own.
    public var sizeEdited = false

    public static let dtypes: [DType] = [.float32, .float16, .bfloat16]

    /// A fresh form for `presets[presetIndex]`, at that preset's default size.
    public init(presetIndex: Int, presets: [Preset]) {
        self.presetIndex = presetIndex
        let preset = presets.indices.contains(presetIndex) ? presets[presetIndex] : nil
        size = TextField("size", preset.map(Self.defaultSize) ?? "512x512")
        frames = TextField("frames", String(GenerationRequest.defaultVideoFrames))
        seed = TextField("seed", "0")
        count = TextField("count", "1")
        dtype = .float16
        focus = .size
    }

    /// The size a pipeline of this preset makes by default: its native square, and for video
    /// presets the 16:9 frame diffusers' HunyuanVideo pipeline uses (1280×720).
    public static func defaultSize(for preset: Preset) -> String {
        let side = preset.nativeResolution ?? 512
        guard preset.isVideo else { return "\(side)x\(side)" }
        let multiple = preset.spatialFactor * 2
        let width = (side * 16 / 9 + multiple / 2) / multiple * multiple
        return "\(width)x\(side)"
    }

    /// The text field that has focus, if the focused field is one.
    var focusedText: WritableKeyPath<GenerateForm, TextField>? {
        switch focus {
        case .size: \.size
        case .frames: \.frames
        case .seed: \.seed
        case .count: \.count
        case .preset, .dtype: nil
        }
    }
}
