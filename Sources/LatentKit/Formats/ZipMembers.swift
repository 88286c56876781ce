import Foundation
import ZIPFoundation

/// Bounded access to zip members (.npz, .pt): refuses members whose declared size is over the limit
/// and stops inflating the moment a member grows past what its header declared.
struct ZipMembers {
    private let archive: Archive
    let limits: ReadLimits
    let paths: [String]

    init(data: Data, limits: ReadLimits, format: String) throws(LatentFileError) {
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw .malformedHeader(format: format, detail: "not a readable zip archive (\(error))")
        }
        self.limits = limits
        paths = archive.map(\.path)
    }

    private struct Overflow: Error {}

    func read(_ path: String) throws(LatentFileError) -> [UInt8] {
        guard let entry = archive[path] else { throw .missingArchiveEntry(path: path) }
        let declared = entry.uncompressedSize
        guard declared <= UInt64(limits.maxArchiveEntryBytes) else {
            throw .archiveEntryTooLarge(path: path, size: declared, limit: limits.maxArchiveEntryBytes)
        }
        var output: [UInt8] = []
        // A lying header must not buy a huge allocation up front; growth is bounded by the checks below.
        output.reserveCapacity(Int(min(declared, 64 << 20)))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard UInt64(output.count + chunk.count) <= declared else { throw Overflow() }
                output.append(contentsOf: chunk)
            }
        } catch is Overflow {
            throw .archiveEntryLargerThanDeclared(path: path, declared: declared)
        } catch {
            throw .truncated(format: "zip", detail: "member '\(path)' could not be unpacked (\(error))")
        }
        guard UInt64(output.count) == declared else {
            throw .truncated(
                format: "zip", detail: "member '\(path)' holds \(output.count) of its \(declared) bytes")
        }
        return output
    }
}
