/// Caps that keep a hostile or corrupt file from making latentty allocate without bound.
public struct ReadLimits: Sendable, Equatable {
    /// Largest safetensors / npy header accepted (safetensors itself caps headers at 100 MB).
    public var maxHeaderBytes: Int
    /// Most bytes unpacked from one zip (.npz, .pt), all its members together. Deflate packs zeros
    /// about a thousand to one, so the size of the archive itself bounds nothing.
    public var maxUnpackedBytes: Int
    /// Most bytes the tensors of one .pt file may hold beyond the storages they view: a zero stride
    /// or many tensors over one storage let a few stored bytes describe gigabytes.
    public var maxViewExpansionBytes: Int

    public init(
        maxHeaderBytes: Int = 100 << 20, maxUnpackedBytes: Int = 1 << 30, maxViewExpansionBytes: Int = 64 << 20
    ) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxUnpackedBytes = maxUnpackedBytes
        self.maxViewExpansionBytes = maxViewExpansionBytes
    }

    public static let `default` = ReadLimits()
}
