import Foundation
import ZIPFoundation

/// Bounded access to zip members (.npz, .pt). The container is parsed here, every offset and size
/// checked against the bytes really there, because ZIPFoundation's in-memory archive traps on an
/// offset past the end; ZIPFoundation only inflates, from ranges already checked. Members are
/// indexed once, and all members read from one archive share one unpacking budget.
struct ZipMembers {
    private struct Member {
        let flags: UInt16
        let method: UInt16
        let crc32: UInt32
        let compressedSize: Int
        let size: UInt64
        let localHeader: Int
    }

    /// Member paths in directory order, each once (the first of duplicates wins).
    let paths: [String]
    private let members: [String: Member]
    private let data: Data
    private let format: String
    private let limits: ReadLimits
    private var unpacked = 0

    init(data: Data, limits: ReadLimits, format: String) throws(LatentFileError) {
        self.data = data
        self.format = format
        self.limits = limits
        let directory = try Self.centralDirectory(in: data, format: format)
        var paths: [String] = []
        var members: [String: Member] = [:]
        var position = directory.offset
        let end = directory.offset + directory.size
        for _ in 0..<directory.count {
            let (path, member, next) = try Self.entry(at: position, end: end, in: data, format: format)
            if members[path] == nil {
                members[path] = member
                paths.append(path)
            }
            position = next
        }
        self.paths = paths
        self.members = members
    }

    mutating func read(_ path: String) throws(LatentFileError) -> [UInt8] {
        guard let member = members[path] else { throw .missingArchiveEntry(path: path) }
        let left = limits.maxUnpackedBytes - unpacked
        guard member.size <= UInt64(max(left, 0)) else {
            throw .archiveEntryTooLarge(path: path, size: member.size, limit: left)
        }
        guard member.flags & 1 == 0 else { throw malformed("member '\(path.clipped)' is encrypted") }
        let start = try dataStart(of: member, path: path)
        let output: [UInt8]
        let checksum: CRC32
        switch member.method {
        case 0:
            guard UInt64(member.compressedSize) == member.size else {
                throw malformed("stored member '\(path.clipped)' declares two different sizes")
            }
            let range = (data.startIndex + start)..<(data.startIndex + start + member.compressedSize)
            output = [UInt8](data[range])
            checksum = data[range].crc32(checksum: 0)
        case 8:
            (output, checksum) = try inflate(member, from: start, path: path)
        default:
            throw malformed(
                "member '\(path.clipped)' uses compression method \(member.method); only stored and deflate are read")
        }
        guard checksum == member.crc32 else {
            throw malformed("member '\(path.clipped)' fails its CRC check (damaged)")
        }
        unpacked += output.count
        return output
    }

    // MARK: - Directory

    private static let endSignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let entrySignature: UInt32 = 0x0201_4B50
    private static let localSignature: UInt32 = 0x0403_4B50
    private static let entryFixedSize = 46

    private static func centralDirectory(in data: Data, format: String) throws(LatentFileError)
        -> (offset: Int, size: Int, count: Int)
    {
        // The end record is the last 22 bytes but for a comment of at most 65,535 bytes.
        let last = data.count - 22
        guard last >= 0,
            let end = stride(from: last, through: max(0, last - 0xFFFF), by: -1).first(where: {
                data.littleEndianInteger(at: $0, as: UInt32.self) == endSignature
            })
        else {
            throw .malformedHeader(format: format, detail: "no zip end-of-directory record; not a zip, or cut off")
        }
        var count = UInt64(try field(data, end + 10, UInt16.self, format))
        var size = UInt64(try field(data, end + 12, UInt32.self, format))
        var offset = UInt64(try field(data, end + 16, UInt32.self, format))
        // Zip64 (PyTorch always writes it): a locator just before the end record points at the real values.
        if end >= 20, data.littleEndianInteger(at: end - 20, as: UInt32.self) == zip64LocatorSignature {
            let record = try position(try field(data, end - 12, UInt64.self, format), in: data, format)
            guard data.littleEndianInteger(at: record, as: UInt32.self) == zip64EndSignature else {
                throw .malformedHeader(format: format, detail: "the zip64 end record is not where its locator says")
            }
            count = try field(data, record + 32, UInt64.self, format)
            size = try field(data, record + 40, UInt64.self, format)
            offset = try field(data, record + 48, UInt64.self, format)
        }
        let start = try position(offset, in: data, format)
        let length = try position(size, in: data, format)
        guard length <= data.count - start, count <= UInt64(length / entryFixedSize) else {
            throw .truncated(
                format: format,
                detail: "its directory of \(count) members at byte \(offset) lies outside the \(data.count) bytes there")
        }
        return (start, length, Int(count))
    }

    private static func entry(at position: Int, end: Int, in data: Data, format: String)
        throws(LatentFileError) -> (String, Member, next: Int)
    {
        guard position <= end - entryFixedSize,
            data.littleEndianInteger(at: position, as: UInt32.self) == entrySignature
        else {
            throw .malformedHeader(format: format, detail: "a zip directory entry is damaged")
        }
        let nameLength = Int(try field(data, position + 28, UInt16.self, format))
        let extraLength = Int(try field(data, position + 30, UInt16.self, format))
        let commentLength = Int(try field(data, position + 32, UInt16.self, format))
        let nameStart = position + entryFixedSize
        let next = nameStart + nameLength + extraLength + commentLength
        guard next <= end else {
            throw .malformedHeader(format: format, detail: "a zip directory entry runs past the directory")
        }
        var size = UInt64(try field(data, position + 24, UInt32.self, format))
        var compressed = UInt64(try field(data, position + 20, UInt32.self, format))
        var local = UInt64(try field(data, position + 42, UInt32.self, format))
        // Zip64 extra field: 64-bit values for exactly those of the three that read 0xFFFFFFFF, in this order.
        var extra = nameStart + nameLength
        while extra + 4 <= nameStart + nameLength + extraLength {
            let id = try field(data, extra, UInt16.self, format)
            let blockEnd = extra + 4 + Int(try field(data, extra + 2, UInt16.self, format))
            if id == 1 {
                var cursor = extra + 4
                func wide(_ value: inout UInt64) throws(LatentFileError) {
                    guard value == 0xFFFF_FFFF, cursor + 8 <= blockEnd else { return }
                    value = try field(data, cursor, UInt64.self, format)
                    cursor += 8
                }
                try wide(&size)
                try wide(&compressed)
                try wide(&local)
            }
            extra = blockEnd
        }
        let path = String(decoding: data.byteArray(nameStart..<(nameStart + nameLength)), as: UTF8.self)
        let member = Member(
            flags: try field(data, position + 8, UInt16.self, format),
            method: try field(data, position + 10, UInt16.self, format),
            crc32: try field(data, position + 16, UInt32.self, format),
            compressedSize: try Self.position(compressed, in: data, format),
            size: size,
            localHeader: try Self.position(local, in: data, format))
        return (path, member, next)
    }

    /// Where a member's bytes start: after its local header, whose own name and extra lengths count.
    private func dataStart(of member: Member, path: String) throws(LatentFileError) -> Int {
        let header = member.localHeader
        guard data.littleEndianInteger(at: header, as: UInt32.self) == Self.localSignature else {
            throw malformed("member '\(path.clipped)' has no local header where the directory says")
        }
        let nameLength = Int(try Self.field(data, header + 26, UInt16.self, format))
        let extraLength = Int(try Self.field(data, header + 28, UInt16.self, format))
        let start = header + 30 + nameLength + extraLength
        guard start <= data.count, member.compressedSize <= data.count - start else {
            throw .truncated(
                format: format,
                detail: "member '\(path.clipped)' needs \(member.compressedSize) bytes from byte \(start) of \(data.count)")
        }
        return start
    }

    // MARK: - Inflating

    private struct Overflow: Error {}
    private struct CutShort: Error {}

    private func inflate(_ member: Member, from start: Int, path: String) throws(LatentFileError)
        -> ([UInt8], CRC32)
    {
        let total = member.compressedSize
        let chunkSize = max(1, min(total, 1 << 16))
        var output: [UInt8] = []
        // A lying header must not buy a huge allocation up front; growth is bounded by the consumer's check.
        output.reserveCapacity(Int(min(member.size, 64 << 20)))
        let checksum: CRC32
        do {
            checksum = try Data.decompress(
                size: Int64(total), bufferSize: chunkSize, skipCRC32: false,
                provider: { position, _ in
                    let from = Int(position)
                    guard from < total else { throw CutShort() }
                    let base = data.startIndex + start
                    var chunk = data.subdata(in: (base + from)..<(base + min(from + chunkSize, total)))
                    // ZIPFoundation's zlib loop takes every chunk to be `bufferSize` long; the padding lies
                    // past the end of a well-formed stream, and a stream that reaches into it fails.
                    chunk.append(Data(count: chunkSize - chunk.count))
                    return chunk
                },
                consumer: { piece in
                    guard UInt64(output.count + piece.count) <= member.size else { throw Overflow() }
                    output.append(contentsOf: piece)
                })
        } catch is Overflow {
            throw .archiveEntryLargerThanDeclared(path: path, declared: member.size)
        } catch is CutShort {
            throw .truncated(format: format, detail: "member '\(path.clipped)' ends inside its compressed data")
        } catch {
            throw malformed("member '\(path.clipped)' is not valid deflate data")
        }
        guard UInt64(output.count) == member.size else {
            throw .truncated(
                format: format, detail: "member '\(path.clipped)' holds \(output.count) of its \(member.size) bytes")
        }
        return (output, checksum)
    }

    // MARK: - Fields

    private func malformed(_ detail: String) -> LatentFileError { .malformedHeader(format: format, detail: detail) }

    private static func field<T: FixedWidthInteger>(_ data: Data, _ offset: Int, _ type: T.Type, _ format: String)
        throws(LatentFileError) -> T
    {
        guard let value = data.littleEndianInteger(at: offset, as: T.self) else {
            throw .truncated(format: format, detail: "a zip record at byte \(offset) is cut off")
        }
        return value
    }

    /// An offset or size read from the archive, which must lie within it.
    private static func position(_ value: UInt64, in data: Data, _ format: String) throws(LatentFileError) -> Int {
        guard value <= UInt64(data.count) else {
            throw .truncated(
                format: format, detail: "a zip record points at byte \(value), past the \(data.count) bytes there")
        }
        return Int(value)
    }
}
