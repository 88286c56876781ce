import Foundation
import ZIPFoundation

@testable import LatentKit

/// Little-endian bytes, appended field by field.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u16(_ value: Int) { bytes += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
    mutating func u32(_ value: UInt32) { bytes += withUnsafeBytes(of: value.littleEndian, Array.init) }
    mutating func raw(_ more: [UInt8]) { bytes += more }
}

/// A stored (uncompressed) zip written byte by byte: tests can then lie in any field, and make
/// thousands of members without ZIPFoundation rewriting its directory after each one.
func storedZip(_ members: [(String, [UInt8])]) -> Data {
    var file = ByteWriter()
    var directory = ByteWriter()
    for (path, content) in members {
        let name = Array(path.utf8)
        let crc = Data(content).crc32(checksum: 0)
        let offset = UInt32(file.bytes.count)
        file.u32(0x0403_4B50)
        for _ in 0..<5 { file.u16(0) }  // versions, flags, method, time, date
        file.u32(crc)
        file.u32(UInt32(content.count))
        file.u32(UInt32(content.count))
        file.u16(name.count)
        file.u16(0)
        file.raw(name)
        file.raw(content)
        directory.u32(0x0201_4B50)
        for _ in 0..<6 { directory.u16(0) }  // versions, flags, method, time, date
        directory.u32(crc)
        directory.u32(UInt32(content.count))
        directory.u32(UInt32(content.count))
        directory.u16(name.count)
        for _ in 0..<4 { directory.u16(0) }  // extra, comment, disk, internal attributes
        directory.u32(0)
        directory.u32(offset)
        directory.raw(name)
    }
    let start = UInt32(file.bytes.count)
    file.raw(directory.bytes)
    file.u32(0x0605_4B50)
    file.u16(0)
    file.u16(0)
    file.u16(members.count)
    file.u16(members.count)
    file.u32(UInt32(directory.bytes.count))
    file.u32(start)
    file.u16(0)
    return Data(file.bytes)
}

/// Overwrites four little-endian bytes at `offset`.
func patch(_ data: inout Data, at offset: Int, with value: UInt32) {
    let bytes = withUnsafeBytes(of: value.littleEndian, Array.init)
    data.replaceSubrange((data.startIndex + offset)..<(data.startIndex + offset + 4), with: bytes)
}

/// Pickle opcodes for hand-made `torch.save` files.
enum PickleBytes {
    static let header: [UInt8] = [0x80, 0x02]
    static let stop: [UInt8] = [0x2E]

    static func long(_ value: Int) -> [UInt8] {
        [0x8A, 8] + withUnsafeBytes(of: Int64(value).littleEndian, Array.init)
    }

    static func string(_ text: String) -> [UInt8] { [0x8C, UInt8(text.utf8.count)] + Array(text.utf8) }

    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }

    static func tuple(_ items: [[UInt8]]) -> [UInt8] { [0x28] + items.flatMap { $0 } + [0x74] }

    /// `_rebuild_tensor_v2(<FloatStorage "0" of numel>, offset, shape, strides)`, as torch.save writes it.
    static func tensor(numel: Int, offset: Int, shape: [Int], strides: [Int]) -> [UInt8] {
        let storage =
            tuple([string("storage"), global("torch", "FloatStorage"), string("0"), string("cpu"), long(numel)])
            + [0x51]
        let arguments = tuple([storage, long(offset), tuple(shape.map(long)), tuple(strides.map(long))])
        return global("torch._utils", "_rebuild_tensor_v2") + arguments + [0x52]
    }
}

/// A torch.save zip: the pickle, its byte order, and storage "0" of float32 values.
func torchFile(pickle: [UInt8], storage: [Float] = []) -> Data {
    let floats = storage.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
    return storedZip([
        ("archive/data.pkl", pickle), ("archive/byteorder", Array("little".utf8)), ("archive/data/0", floats),
    ])
}

/// A tiny `.npy` of one float32.
func npyScalar(_ value: Float) throws -> [UInt8] {
    [UInt8](try NumPyArray.encode(try tensor([value], [1])))
}
