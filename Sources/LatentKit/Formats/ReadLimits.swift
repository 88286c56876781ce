/// Caps that keep a hostile or corrupt file from making latentty allocate without bound.
public struct ReadLimits: Sendable, Equatable {
    /// Largest safetensors / npy header accepted (safetensors itself caps headers at 100 MB).
    public var maxHeaderBytes: Int
    /// Largest single member unpacked from a zip (.npz, .pt).
    public var maxArchiveEntryBytes: Int

    public init(maxHeaderBytes: Int = 100 << 20, maxArchiveEntryBytes: Int = 4 << 30) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxArchiveEntryBytes = maxArchiveEntryBytes
    }

    public static let `default` = ReadLimits()
}
