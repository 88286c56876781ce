import Foundation

extension Data {
    /// Little-endian integer at `offset` bytes from the start, or nil past the end.
    func littleEndianInteger<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self) -> T? {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset <= count - size else { return nil }
        var value = T.zero
        for index in stride(from: size - 1, through: 0, by: -1) {
            value = value << 8 | T(self[startIndex + offset + index])
        }
        return value
    }

    /// Bytes `range` (relative to the start) as an array.
    func byteArray(_ range: Range<Int>) -> [UInt8] {
        [UInt8](self[(startIndex + range.lowerBound)..<(startIndex + range.upperBound)])
    }

    func hasPrefix(_ prefix: [UInt8]) -> Bool {
        count >= prefix.count && self.prefix(prefix.count).elementsEqual(prefix)
    }
}
