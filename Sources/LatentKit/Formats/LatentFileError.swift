import Foundation

/// Everything that can be wrong with a latent file, phrased for the person who has to fix it.
public enum LatentFileError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case unreadable(FileSystemError)
    case unknownFormat(hint: String)
    case truncated(format: String, detail: String)
    case malformedHeader(format: String, detail: String)
    case headerTooLarge(format: String, length: UInt64, limit: Int)
    case unsupportedDType(format: String, tensor: String, dtype: String)
    case byteCountMismatch(tensor: String, shape: [Int], dtype: DType, expected: Int, actual: Int)
    case offsetsOutOfRange(tensor: String, begin: Int, end: Int, available: Int)
    case invalidShape(tensor: String, shape: [Int])
    case forbiddenPickleGlobal(module: String, name: String)
    case unsupportedPickle(detail: String)
    case missingArchiveEntry(path: String)
    case archiveEntryTooLarge(path: String, size: UInt64, limit: Int)
    case archiveEntryLargerThanDeclared(path: String, declared: UInt64)
    case viewTooLarge(tensor: String, bytes: Int, limit: Int)
    case noTensors
    case keyNotFound(key: String, available: [String])
    case ambiguousLatent(available: [String])

    public var description: String {
        switch self {
        case .unreadable(let error):
            "cannot read \(error.path): \(error.problem)"
        case .unknownFormat(let hint):
            "not a latent file latentty knows (\(hint)); it reads safetensors, ComfyUI .latent, .npy, .npz and PyTorch .pt"
        case .truncated(let format, let detail):
            "the \(format) file is truncated: \(detail); it was probably cut off while copying or saving"
        case .malformedHeader(let format, let detail):
            "the \(format) header is malformed: \(detail)"
        case .headerTooLarge(let format, let length, let limit):
            "the \(format) header claims \(length) bytes, more than the file holds or the \(limit)-byte limit; the file is corrupt or not \(format)"
        case .unsupportedDType(let format, let tensor, let dtype):
            "tensor '\(tensor.clipped)' in the \(format) file has dtype \(dtype.clipped); latentty reads float32, float16, bfloat16 and uint8 (float64 is converted to float32)"
        case .byteCountMismatch(let tensor, let shape, let dtype, let expected, let actual):
            "tensor '\(tensor.clipped)' claims shape \(shape.shapeText) of \(dtype.rawValue) (\(expected) bytes) but its data is \(actual) bytes"
        case .offsetsOutOfRange(let tensor, let begin, let end, let available):
            "tensor '\(tensor.clipped)' points at bytes \(begin)..<\(end), outside the \(available) data bytes the file holds"
        case .invalidShape(let tensor, let shape):
            "tensor '\(tensor.clipped)' has an impossible shape \(shape.shapeText)"
        case .forbiddenPickleGlobal(let module, let name):
            "refusing to load: the pickle references \(module.clipped).\(name.clipped), which is not part of a saved tensor; latentty never runs code from .pt files — save the latent with safetensors instead"
        case .unsupportedPickle(let detail):
            "cannot read this .pt file: \(detail); latentty reads tensors and dicts/lists of tensors saved with torch.save"
        case .missingArchiveEntry(let path):
            "the archive has no entry '\(path.clipped)'"
        case .archiveEntryTooLarge(let path, let size, let limit):
            "archive entry '\(path.clipped)' would unpack to \(size) bytes, more than the \(limit) bytes left of the archive's unpacking limit; refusing (zip bomb?)"
        case .archiveEntryLargerThanDeclared(let path, let declared):
            "archive entry '\(path.clipped)' unpacks to more than the \(declared) bytes its header declares; refusing (corrupt or zip bomb)"
        case .viewTooLarge(let tensor, let bytes, let limit):
            "tensor '\(tensor.clipped)' would take \(bytes) bytes, more than its storage holds plus the \(limit)-byte allowance for repeated elements (a zero stride?); the file is corrupt or hostile"
        case .noTensors:
            "the file holds no tensors"
        case .keyNotFound(let key, let available):
            "no tensor named '\(key.clipped)'; the file has: \(available.sampleText)"
        case .ambiguousLatent(let available):
            "the file holds several tensors (\(available.sampleText)) and none is clearly the latent; choose one with --key"
        }
    }

    public var errorDescription: String? { description }
}

extension String {
    /// At most 80 characters: names and details come from the file, and a message stays one line
    /// of reasonable length whatever the file holds.
    var clipped: String { count <= 80 ? self : prefix(79) + "…" }
}

extension [String] {
    /// The first ten names, then how many more.
    var sampleText: String {
        let shown = prefix(10).map(\.clipped).joined(separator: ", ")
        return count <= 10 ? shown : shown + " and \(count - 10) more"
    }
}
