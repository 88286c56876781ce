import Foundation

/// A parsed safetensors file: the header is read and checked up front, tensor bytes are copied out
/// only when asked for, so a multi-gigabyte weights file costs nothing until it is used (a file is
/// memory-mapped, `readFileMapped`).
public struct SafetensorsArchive: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Offsets into the data section (after the header).
        public let range: Range<Int>
    }

    /// Entries in file (data offset) order.
    public let entries: [Entry]
    public let metadata: [String: String]
    private let data: Data
    private let dataStart: Int

    static let formatName = "safetensors"

    public init(contentsOf url: URL, limits: ReadLimits = .default) throws(LatentFileError) {
        try self.init(data: readFileMapped(url), limits: limits)
    }

    public init(data: Data, limits: ReadLimits = .default) throws(LatentFileError) {
        let format = Self.formatName
        guard let headerLength = data.littleEndianInteger(at: 0, as: UInt64.self) else {
            throw .truncated(
                format: format, detail: "\(data.count) bytes, shorter than the 8-byte header length")
        }
        guard headerLength <= UInt64(limits.maxHeaderBytes), headerLength <= UInt64(data.count - 8)
        else {
            throw .headerTooLarge(format: format, length: headerLength, limit: limits.maxHeaderBytes)
        }
        let headerBytes = data.byteArray(8..<(8 + Int(headerLength)))
        guard let object = try? JSONSerialization.jsonObject(with: Data(headerBytes)),
            let header = object as? [String: Any]
        else {
            throw .malformedHeader(format: format, detail: "the header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let available = data.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let pairs = value as? [String: Any] else {
                    throw .malformedHeader(format: format, detail: "__metadata__ is not an object")
                }
                for (key, item) in pairs { metadata[key] = (item as? String) ?? "\(item)" }
                continue
            }
            entries.append(try Self.entry(named: name, from: value, available: available))
        }
        entries.sort { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        self.entries = entries
        self.metadata = metadata
        self.data = data
        self.dataStart = dataStart
    }

    private static func entry(named name: String, from value: Any, available: Int)
        throws(LatentFileError) -> Entry
    {
        let format = formatName
        guard let fields = value as? [String: Any],
            let dtypeName = fields["dtype"] as? String,
            let shapeValues = fields["shape"] as? [Any],
            let offsetValues = fields["data_offsets"] as? [Any], offsetValues.count == 2
        else {
            throw .malformedHeader(
                format: format, detail: "entry '\(name.clipped)' lacks dtype, shape or data_offsets")
        }
        guard let dtype = DType(safetensorsName: dtypeName) else {
            throw .unsupportedDType(format: format, tensor: name, dtype: dtypeName)
        }
        let shape = try integers(shapeValues, field: "shape", tensor: name)
        let offsets = try integers(offsetValues, field: "data_offsets", tensor: name)
        guard let count = shapeElementCount(shape),
            count.multipliedReportingOverflow(by: dtype.byteSize).overflow == false
        else {
            throw .invalidShape(tensor: name, shape: shape)
        }
        let begin = offsets[0]
        let end = offsets[1]
        guard begin >= 0, begin <= end, end <= available else {
            throw .offsetsOutOfRange(tensor: name, begin: begin, end: end, available: available)
        }
        guard end - begin == count * dtype.byteSize else {
            throw .byteCountMismatch(
                tensor: name, shape: shape, dtype: dtype, expected: count * dtype.byteSize,
                actual: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, range: begin..<end)
    }

    private static func integers(_ values: [Any], field: String, tensor: String)
        throws(LatentFileError) -> [Int]
    {
        var result: [Int] = []
        for value in values {
            guard let number = value as? NSNumber, Double(number.intValue) == number.doubleValue else {
                throw .malformedHeader(
                    format: formatName, detail: "\(field) of '\(tensor.clipped)' holds a non-integer")
            }
            result.append(number.intValue)
        }
        return result
    }

    public var names: [String] { entries.map(\.name) }

    public func tensor(named name: String) throws(LatentFileError) -> Tensor {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw .keyNotFound(key: name, available: names)
        }
        return tensor(for: entry)
    }

    public func tensor(for entry: Entry) -> Tensor {
        let bytes = data.byteArray(
            (dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound))
        return Tensor(validated: entry.dtype, shape: entry.shape, bytes: bytes)
    }

    /// The entry's values as Float, read straight from the file's mapping: no copy of its bytes
    /// on the way, so loading weights holds only the floats each layer asks for.
    public func floatValues(for entry: Entry) -> [Float] {
        data.withUnsafeBytes { raw in
            Tensor.floatValues(
                raw: UnsafeRawBufferPointer(rebasing: raw[(dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)]),
                dtype: entry.dtype, count: entry.range.count / entry.dtype.byteSize)
        }
    }

    public func allTensors() -> [NamedTensor] {
        entries.map { NamedTensor(name: $0.name, tensor: tensor(for: $0)) }
    }
}

/// Writes safetensors exactly as the reference implementation lays them out: tensors in the order
/// given, header padded with spaces to an 8-byte boundary.
public enum SafetensorsWriter {
    public static func encode(_ tensors: [NamedTensor], metadata: [String: String] = [:]) -> Data {
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for item in tensors {
            let end = offset + item.tensor.bytes.count
            let shape = item.tensor.shape.map(String.init).joined(separator: ",")
            parts.append(
                "\(jsonString(item.name)):{\"dtype\":\"\(item.tensor.dtype.safetensorsName)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
            )
            offset = end
        }
        var header = Array("{\(parts.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var output = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(contentsOf: header)
        for item in tensors { output.append(contentsOf: item.tensor.bytes) }
        return output
    }
}

/// A JSON string literal; JSONSerialization cannot encode a bare string fragment portably.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

func readFileMapped(_ url: URL) throws(LatentFileError) -> Data {
    do {
        return try FileSystemError.accessing(url, for: .reading) { try Data(contentsOf: url, options: .alwaysMapped) }
    } catch {
        throw .unreadable(error)
    }
}
