import Foundation

public struct NamedTensor: Sendable, Equatable {
    public let name: String
    public let tensor: Tensor

    public init(name: String, tensor: Tensor) {
        self.name = name
        self.tensor = tensor
    }
}

public enum LatentFileFormat: String, Sendable, Codable {
    case safetensors
    case comfyLatent = "comfyui-latent"
    case npy
    case npz
    case torch = "pytorch"
}

/// A latent file read into memory: every tensor it holds, its metadata, and what latentty knows about
/// which space the values are in.
public struct LatentFile: Sendable {
    public let format: LatentFileFormat
    public let tensors: [NamedTensor]
    public let metadata: [String: String]
    /// Known for formats that fix it (ComfyUI latents are diffusion-space); nil when only the user knows.
    public let space: LatentSpace?
    /// Things the reader did that a person should know about.
    public let notes: [String]

    public init(
        format: LatentFileFormat, tensors: [NamedTensor], metadata: [String: String] = [:],
        space: LatentSpace? = nil, notes: [String] = []
    ) {
        self.format = format
        self.tensors = tensors
        self.metadata = metadata
        self.space = space
        self.notes = notes
    }

    /// Names checked, in order, when a file holds more than one candidate tensor.
    static let preferredKeys = ["latents", "latent_tensor", "samples", "latent", "tensor", "x", "z"]

    /// The tensor that holds the latent: `key` when given, else the only float tensor of rank 3–5,
    /// else the first with a conventional name.
    public func latent(key: String? = nil) throws(LatentFileError) -> NamedTensor {
        let names = tensors.map(\.name)
        if let key {
            guard let match = tensors.first(where: { $0.name == key }) else {
                throw .keyNotFound(key: key, available: names)
            }
            return match
        }
        guard !tensors.isEmpty else { throw .noTensors }
        let candidates = tensors.filter {
            $0.tensor.dtype.isFloatingPoint && (3...5).contains($0.tensor.rank)
                && $0.tensor.elementCount > 0
        }
        if candidates.count == 1 { return candidates[0] }
        if tensors.count == 1 { return tensors[0] }
        for preferred in Self.preferredKeys {
            if let match = candidates.first(where: {
                $0.name == preferred || $0.name.hasSuffix("." + preferred)
            }) {
                return match
            }
        }
        throw .ambiguousLatent(available: names)
    }

    /// Reads any supported format, recognised by its bytes rather than its extension
    /// (the extension only separates a ComfyUI `.latent` from plain safetensors).
    public static func read(contentsOf url: URL, limits: ReadLimits = .default)
        throws(LatentFileError) -> LatentFile
    {
        try read(data: readFileMapped(url), fileName: url.lastPathComponent, limits: limits)
    }

    public static func read(data: Data, fileName: String, limits: ReadLimits = .default)
        throws(LatentFileError) -> LatentFile
    {
        if data.hasPrefix(NumPyArray.magic) {
            return LatentFile(
                format: .npy,
                tensors: [NamedTensor(name: "array", tensor: try NumPyArray.decode(data, limits: limits))])
        }
        if data.hasPrefix([0x50, 0x4B, 0x03, 0x04]) || data.hasPrefix([0x50, 0x4B, 0x05, 0x06]) {
            return try readZip(data, fileName: fileName, limits: limits)
        }
        // Safetensors before the legacy-pickle check: a header length of 128 + 256·k starts with 0x80 too.
        if data.count >= 9, data[data.startIndex + 8] == UInt8(ascii: "{") {
            let archive = try SafetensorsArchive(data: data, limits: limits)
            if fileName.lowercased().hasSuffix(".latent") || archive.names.contains("latent_tensor") {
                return try ComfyLatent.read(archive)
            }
            return LatentFile(
                format: .safetensors, tensors: archive.allTensors(), metadata: archive.metadata)
        }
        if data.hasPrefix([0x80]), data.count > 1, data[data.startIndex + 1] <= 5 {
            throw .unsupportedPickle(
                detail:
                    "this is the legacy (pre-1.6) torch.save format; re-save it with a current PyTorch or as safetensors"
            )
        }
        if data.count < 16 {
            throw .truncated(format: "latent", detail: "only \(data.count) bytes")
        }
        throw .unknownFormat(hint: "its first bytes match no known format")
    }

    private static func readZip(_ data: Data, fileName: String, limits: ReadLimits)
        throws(LatentFileError) -> LatentFile
    {
        var members = try ZipMembers(data: data, limits: limits, format: "zip")
        if members.paths.contains(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }) {
            let contents = try TorchCheckpoint.read(&members, limits: limits)
            return LatentFile(format: .torch, tensors: contents.tensors, metadata: contents.metadata)
        }
        if members.paths.contains(where: { $0.hasSuffix(".npy") }) {
            return LatentFile(format: .npz, tensors: try NumPyArchive.read(&members, limits: limits))
        }
        throw .unknownFormat(hint: "a zip archive with neither data.pkl nor .npy members")
    }
}
