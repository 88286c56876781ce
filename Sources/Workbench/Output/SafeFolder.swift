import Foundation
import Glibc
import LatentKit

/// File operations that keep files whole, and results apart, however many writers (jobs, or
/// latentty processes) share a folder and whenever one of them is killed. The output folder and
/// the job journal use it:
///
/// - every file is first written whole under a temporary name in the folder itself (so publishing
///   is a `link` on the same file system), named `.latentty-tmp-<pid>-…`;
/// - a result's stem (`x` of `x.png`, `x.json`) is reserved by linking a temporary file holding the
///   writer's pid to `.latentty-tmp-stem-<stem>` (`link` fails if the name exists, so two writers
///   cannot both succeed, and the reservation is never seen without its owner), then checked free again;
/// - a file is published with `link`, which never replaces what is there;
/// - leftovers of writers that no longer run are removed before each write.
struct SafeFolder {
    let url: URL

    static let temporaryPrefix = ".latentty-tmp-"
    private static let reservationPrefix = temporaryPrefix + "stem-"

    /// Writes `bytes` to a new temporary file in the folder.
    func writeTemporary(_ bytes: [UInt8]) throws -> URL {
        let temporary = url.appendingPathComponent("\(Self.temporaryPrefix)\(getpid())-\(UUID().uuidString)")
        try FileSystemError.accessing(temporary, for: .writing) {
            let descriptor = open(temporary.path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw Self.posixError() }
            defer { close(descriptor) }
            try Self.writeAll(bytes, to: descriptor)
        }
        return temporary
    }

    /// Reserves `name`, else `name-2`, `name-3`…: the first stem no file in the folder uses and no
    /// other writer holds. Give it back with `release` once its files are published.
    func reserveStem(_ name: String) throws -> String {
        var existing = try listing()
        for index in 1...100_000 {
            let stem = index == 1 ? name : "\(name)-\(index)"
            if Self.taken(stem, in: existing) { continue }
            let marker = reservation(stem)
            let claim = try writeTemporary(Array("\(getpid())".utf8))
            let linked = link(claim.path, marker.path)
            let failure = errno
            unlink(claim.path)
            if linked != 0 {
                if failure == EEXIST { continue }
                throw FileSystemError(POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO), url: marker, access: .writing)
            }
            // Another writer may have published this stem and let it go since the folder was listed.
            existing = try listing()
            if Self.taken(stem, in: existing) {
                unlink(marker.path)
                continue
            }
            return stem
        }
        throw FileSystemError.other(path: url.appendingPathComponent(name).path, reason: "every name up to \(name)-100000 is taken")
    }

    func release(_ stem: String) {
        unlink(reservation(stem).path)
    }

    /// Writes `bytes` as `name`, replacing the file there at once: readers see the old file or the
    /// new one, never a part.
    func replaceFile(named name: String, with bytes: [UInt8]) throws {
        let temporary = try writeTemporary(bytes)
        let final = url.appendingPathComponent(name)
        try FileSystemError.accessing(final, for: .writing) {
            guard rename(temporary.path, final.path) == 0 else {
                let error = Self.posixError()
                unlink(temporary.path)
                throw error
            }
        }
    }

    /// Gives `temporary` its final `name`; fails rather than replace a file already there.
    func publish(_ temporary: URL, as name: String) throws -> URL {
        let final = url.appendingPathComponent(name)
        try FileSystemError.accessing(final, for: .writing) {
            guard link(temporary.path, final.path) == 0 else { throw Self.posixError() }
        }
        return final
    }

    /// Removes temporary files and reservations whose writer is gone (killed, crashed).
    func removeStaleTemporaries() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return }
        for name in names where name.hasPrefix(Self.temporaryPrefix) {
            let path = url.appendingPathComponent(name).path
            if isStale(name, path: path) { unlink(path) }
        }
    }

    private func isStale(_ name: String, path: String) -> Bool {
        let owner: Int32?
        if name.hasPrefix(Self.reservationPrefix) {
            // Reservations are linked into place whole, so one without a pid is not latentty's own.
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            owner = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            if owner == nil { return true }
        } else {
            owner = Int32(name.dropFirst(Self.temporaryPrefix.count).prefix { $0 != "-" })
        }
        guard let owner else { return false }
        return owner != getpid() && kill(owner, 0) != 0 && errno == ESRCH
    }

    private func reservation(_ stem: String) -> URL {
        url.appendingPathComponent(Self.reservationPrefix + stem)
    }

    private func listing() throws -> Set<String> {
        try FileSystemError.accessing(url, for: .reading) { Set(try FileManager.default.contentsOfDirectory(atPath: url.path)) }
    }

    /// Whether a result of this stem is there already (`x.png`, `x_001.png`, `x.json`…).
    private static func taken(_ stem: String, in names: Set<String>) -> Bool {
        names.contains { $0.hasPrefix(stem + ".") || $0.hasPrefix(stem + "_") }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw posixError()
            }
            offset += written
        }
    }

    private static func posixError() -> POSIXError {
        POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
    }
}
