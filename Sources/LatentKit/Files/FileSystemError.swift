import Foundation

/// A file that could not be read or written, said with its path and what is wrong, so that no
/// Foundation error text (`NSCocoaErrorDomain Code=4 …`) reaches a person.
public enum FileSystemError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case notFound(path: String)
    case isDirectory(path: String)
    /// A file stands where a folder is needed (in an output path, or as one of its folders).
    case notADirectory(path: String)
    case permissionDenied(path: String)
    case noSpace(path: String)
    /// The folder a file was to be written into does not exist.
    case folderMissing(path: String)
    case other(path: String, reason: String)

    public var path: String {
        switch self {
        case .notFound(let path), .isDirectory(let path), .notADirectory(let path), .permissionDenied(let path), .noSpace(let path),
            .folderMissing(let path), .other(let path, _):
            path
        }
    }

    /// What is wrong, after a message that names the path already (`cannot read PATH: …`).
    public var problem: String {
        switch self {
        case .notFound: "it does not exist"
        case .isDirectory: "it is a folder, not a file"
        case .notADirectory: "it is a file, not a folder"
        case .permissionDenied: "permission denied"
        case .noSpace: "no space left on its device"
        case .folderMissing: "it does not exist: create it or choose another output path"
        case .other(_, let reason): reason
        }
    }

    public var description: String {
        switch self {
        case .notFound: "\(path) does not exist"
        case .isDirectory: "\(path) is a folder, not a file"
        case .notADirectory: "\(path) is a file, not a folder"
        case .folderMissing: "\(path) does not exist: create it or choose another output path"
        case .permissionDenied, .noSpace, .other: "\(path): \(problem)"
        }
    }

    public var errorDescription: String? { description }
}
