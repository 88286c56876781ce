import Foundation

extension FileSystemError {
    public enum Access: Sendable {
        case reading, writing, creatingFolder

        /// What went wrong when nothing more precise is known.
        var failure: String {
            switch self {
            case .reading: "cannot be read"
            case .writing: "cannot be written"
            case .creatingFolder: "cannot be created"
            }
        }
    }

    /// Foundation's or the system's error for an access to `url`, as a `FileSystemError`.
    public init(_ error: any Error, url: URL, access: Access) {
        let path = url.relativePath
        switch Self.posixCode(of: error) {
        case .some(ENOENT) where access != .reading && !FileManager.default.fileExists(atPath: url.deletingLastPathComponent().path):
            self = .folderMissing(path: url.deletingLastPathComponent().relativePath)
        case .some(ENOENT):
            self = .notFound(path: path)
        case .some(EISDIR):
            self = .isDirectory(path: path)
        case .some(ENOTDIR):
            self = .notADirectory(path: Self.fileInTheWay(of: url) ?? path)
        case .some(EEXIST) where access == .creatingFolder:
            self = .notADirectory(path: Self.fileInTheWay(of: url) ?? path)
        case .some(EACCES), .some(EPERM), .some(EROFS):
            self = .permissionDenied(path: path)
        case .some(ENOSPC), .some(EDQUOT):
            self = .noSpace(path: path)
        case .some(let code):
            self = .other(path: path, reason: String(cString: strerror(code)).lowercased())
        case .none:
            var isFolder: ObjCBool = false
            if access == .reading, FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
                self = .isDirectory(path: path)
            } else {
                self = .other(path: path, reason: access.failure)
            }
        }
    }

    /// Runs `body`, which reads or writes `url`, reporting its failure as a `FileSystemError`.
    public static func accessing<T>(_ url: URL, for access: Access, _ body: () throws -> T) throws(FileSystemError) -> T {
        do {
            return try body()
        } catch let error as FileSystemError {
            throw error
        } catch {
            throw FileSystemError(error, url: url, access: access)
        }
    }

    /// The nearest of `url` and its folders that exists as a file, where a folder was needed.
    static func fileInTheWay(of url: URL) -> String? {
        var candidate = url
        while candidate.path != "/" {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isFolder) {
                return isFolder.boolValue ? nil : candidate.relativePath
            }
            candidate.deleteLastPathComponent()
        }
        return nil
    }

    /// The errno behind an error: a `POSIXError`, or the one a `CocoaError` wraps or stands for.
    static func posixCode(of error: any Error) -> Int32? {
        if let posix = error as? POSIXError { return posix.code.rawValue }
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain { return Int32(nsError.code) }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? any Error, let code = posixCode(of: underlying) { return code }
        guard nsError.domain == NSCocoaErrorDomain else { return nil }
        switch CocoaError.Code(rawValue: nsError.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return ENOENT
        case .fileReadNoPermission, .fileWriteNoPermission: return EACCES
        case .fileWriteVolumeReadOnly: return EROFS
        case .fileWriteOutOfSpace: return ENOSPC
        case .fileWriteFileExists: return EEXIST
        default: return nil
        }
    }
}
