import Foundation
import Testing

@testable import LatentKit

/// Foundation's and the system's errors become a path and what is wrong with it.
@Suite struct FileSystemErrorTests {
    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-fs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func writingIntoAMissingFolderNamesTheFolder() throws {
        let target = try Self.temporaryFolder().appendingPathComponent("missing/dir/x.safetensors")
        let tensor = try Tensor(dtype: .float32, shape: [1], bytes: [0, 0, 0, 0])
        let folder = target.deletingLastPathComponent().path
        #expect(throws: FileSystemError.folderMissing(path: folder)) { try LatentWriter.write(tensor, to: target) }
        #expect(
            FileSystemError.folderMissing(path: "missing/dir").description
                == "missing/dir does not exist: create it or choose another output path")
    }

    @Test func readingAFolderOrAMissingFileSaysSo() throws {
        let folder = try Self.temporaryFolder()
        #expect(throws: LatentFileError.unreadable(.isDirectory(path: folder.path))) { try LatentFile.read(contentsOf: folder) }
        let missing = folder.appendingPathComponent("none.safetensors")
        #expect(throws: LatentFileError.unreadable(.notFound(path: missing.path))) { try LatentFile.read(contentsOf: missing) }
        #expect(LatentFileError.unreadable(.isDirectory(path: "Samples")).description == "cannot read Samples: it is a folder, not a file")
    }

    @Test func aFileWhereAFolderIsNeededIsNamed() throws {
        let file = try Self.temporaryFolder().appendingPathComponent("taken")
        try Data([1]).write(to: file)
        for folder in [file, file.appendingPathComponent("sub")] {
            #expect(throws: FileSystemError.notADirectory(path: file.path)) {
                try FileSystemError.accessing(folder, for: .creatingFolder) {
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                }
            }
        }
        #expect(FileSystemError.notADirectory(path: "out").description == "out is a file, not a folder")
    }

    @Test func relativePathsStayAsTyped() {
        let url = URL(fileURLWithPath: "missing/dir/x.safetensors")
        #expect(FileSystemError(CocoaError(.fileNoSuchFile), url: url, access: .writing) == .folderMissing(path: "missing/dir"))
    }

    @Test func errorsMapByCauseNotByText() {
        let url = URL(fileURLWithPath: "/data/x.png")
        func mapped(_ error: any Error, _ access: FileSystemError.Access = .writing) -> FileSystemError {
            FileSystemError(error, url: url, access: access)
        }
        #expect(mapped(CocoaError(.fileReadNoPermission), .reading) == .permissionDenied(path: "/data/x.png"))
        #expect(mapped(CocoaError(.fileWriteOutOfSpace)) == .noSpace(path: "/data/x.png"))
        #expect(mapped(POSIXError(.EROFS)) == .permissionDenied(path: "/data/x.png"))
        #expect(mapped(CocoaError(.fileReadNoSuchFile), .reading) == .notFound(path: "/data/x.png"))
        let wrapped = NSError(
            domain: NSCocoaErrorDomain, code: CocoaError.fileReadUnknown.rawValue,
            userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EISDIR))])
        #expect(mapped(wrapped, .reading) == .isDirectory(path: "/data/x.png"))
        #expect(mapped(POSIXError(.ENAMETOOLONG)) == .other(path: "/data/x.png", reason: "file name too long"))
        #expect(mapped(CocoaError(.fileWriteUnknown)) == .other(path: "/data/x.png", reason: "cannot be written"))
        #expect(FileSystemError.noSpace(path: "/data/x.png").description == "/data/x.png: no space left on its device")
        #expect(FileSystemError.permissionDenied(path: "/data/x.png").description == "/data/x.png: permission denied")
    }
}
