import Foundation
import LatentKit
import ZIPFoundation

/// `torch.save` files: the zip layer, the restricted unpickler and strided tensor views.
/// An input whose first byte is even is a whole file. Odd, the rest is `data.pkl` itself, packed
/// here into a file with a valid checksum and a 256-float storage "0": mutations of a packed pickle
/// would otherwise all fail the zip's CRC check and never reach the unpickler.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: start, count: count))
    guard let mode = input.first else { return 0 }
    let file =
        mode & 1 == 0
        ? Data(input)
        : storedZip([
            ("archive/data.pkl", Array(input.dropFirst())), ("archive/byteorder", Array("little".utf8)),
            ("archive/data/0", [UInt8](repeating: 0x3F, count: 1024)),
        ])
    _ = try? LatentFile.read(data: file, fileName: "fuzz.pt").latent()
    return 0
}

/// A zip of stored members, as the smallest writer that the reader accepts.
func storedZip(_ members: [(String, [UInt8])]) -> Data {
    var file: [UInt8] = []
    var directory: [UInt8] = []
    func u16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
    func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
    for (path, content) in members {
        let name = Array(path.utf8)
        let sizes = u32(Data(content).crc32(checksum: 0)) + u32(UInt32(content.count)) + u32(UInt32(content.count))
        let offset = u32(UInt32(file.count))
        file += u32(0x0403_4B50) + [UInt8](repeating: 0, count: 10) + sizes + u16(name.count) + u16(0) + name + content
        directory += u32(0x0201_4B50) + [UInt8](repeating: 0, count: 12) + sizes + u16(name.count)
        directory += [UInt8](repeating: 0, count: 12) + offset + name
    }
    let end = u32(0x0605_4B50) + u16(0) + u16(0) + u16(members.count) + u16(members.count)
    return Data(file + directory + end + u32(UInt32(directory.count)) + u32(UInt32(file.count)) + u16(0))
}
