/// Everything `inspect` shows about a latent file: pure data, rendered as text or JSON by the CLI.
public struct LatentReport: Sendable, Codable {
    public struct TensorSummary: Sendable, Codable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
    }

    public let format: LatentFileFormat
    public let tensors: [TensorSummary]
    public let latentKey: String
    public let stats: TensorStats
    /// Per-channel statistics along axis 1.
    public let channels: [TensorStats]
    /// Preset ids the shape fits, most likely first.
    public let suggestedPresets: [String]
    /// The preset the checks used (the one asked for, else the first suggestion).
    public let preset: String?
    /// Why the shape does not fit the preset that was asked for.
    public let presetMismatch: String?
    public let space: LatentSpace?
    public let warnings: [String]
    public let notes: [String]
    public let metadata: [String: String]

    public init(file: LatentFile, key: String?, preset requested: Preset?, catalog: PresetCatalog)
        throws(LatentFileError)
    {
        let latent = try file.latent(key: key)
        let tensor = latent.tensor
        let suggestions = Preset.suggestions(for: tensor.shape, among: catalog.presets)
        let preset = requested ?? suggestions.first
        let stats = tensor.stats()
        format = file.format
        tensors = file.tensors.map {
            TensorSummary(name: $0.name, dtype: $0.tensor.dtype, shape: $0.tensor.shape)
        }
        latentKey = latent.name
        self.stats = stats
        channels = tensor.rank >= 3 && tensor.shape[1] <= 64 ? tensor.stats(alongAxis: 1) : []
        suggestedPresets = suggestions.map(\.id)
        self.preset = preset?.id
        do {
            if let requested {
                _ = try requested.layout(of: tensor.shape, dtype: tensor.dtype, others: catalog.presets)
            }
            presetMismatch = nil
        } catch {
            presetMismatch = error.description
        }
        space = file.space
        warnings = LatentWarning.check(stats, preset: preset, space: file.space ?? .diffusion).map(
            \.description)
        notes = file.notes
        metadata = file.metadata
    }
}
