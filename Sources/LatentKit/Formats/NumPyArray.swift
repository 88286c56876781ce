import Foundation

/// `.npy` arrays: read any version (1.0 u16 header length, 2.0/3.0 u32), write version 1.0.
public enum NumPyArray {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    static let formatName = "npy"

    public static func decode(_ data: Data, name: String = "array", limits: ReadLimits = .default)
        throws(LatentFileError) -> Tensor
    {
        let format = formatName
        guard data.count >= 10, data.hasPrefix(magic) else {
            throw .truncated(
                format: format, detail: "\(data.count) bytes, too short for the NUMPY preamble")
        }
        let major = data[data.startIndex + 6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(data.littleEndianInteger(at: 8, as: UInt16.self)!)
            headerStart = 10
        case 2, 3:
            guard let length = data.littleEndianInteger(at: 8, as: UInt32.self) else {
                throw .truncated(format: format, detail: "the header length is cut off")
            }
            guard length <= UInt32(limits.maxHeaderBytes) else {
                throw .headerTooLarge(format: format, length: UInt64(length), limit: limits.maxHeaderBytes)
            }
            headerLength = Int(length)
            headerStart = 12
        default:
            throw .malformedHeader(format: format, detail: "unknown format version \(major)")
        }
        guard headerStart + headerLength <= data.count else {
            throw .headerTooLarge(
                format: format, length: UInt64(headerLength), limit: limits.maxHeaderBytes)
        }
        let headerBytes = data.byteArray(headerStart..<(headerStart + headerLength))
        guard let headerText = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1)
        else {
            throw .malformedHeader(format: format, detail: "the header is not text")
        }
        let (descr, fortranOrder, shape) = try parseHeader(headerText)
        guard let count = shapeElementCount(shape) else {
            throw .invalidShape(tensor: name, shape: shape)
        }
        let element = try ElementLayout(descr: descr, tensor: name)
        let payloadStart = headerStart + headerLength
        let (needed, overflow) = count.multipliedReportingOverflow(by: element.byteSize)
        guard !overflow else { throw .invalidShape(tensor: name, shape: shape) }
        let available = data.count - payloadStart
        guard available >= needed else {
            throw .truncated(
                format: format,
                detail:
                    "'\(name.clipped)' needs \(needed) data bytes for shape \(shape.shapeText) but \(available) remain"
            )
        }
        let tensor = element.tensor(
            from: data.byteArray(payloadStart..<(payloadStart + needed)),
            shape: fortranOrder ? shape.reversed() : shape)
        return fortranOrder ? tensor.reversingAxes() : tensor
    }

    private static func parseHeader(_ text: String) throws(LatentFileError) -> (String, Bool, [Int]) {
        let literal: PythonLiteral
        do {
            literal = try PythonLiteral.parse(text)
        } catch {
            throw .malformedHeader(format: formatName, detail: error.message)
        }
        guard case .dictionary(let pairs) = literal else {
            throw .malformedHeader(format: formatName, detail: "the header is not a dict")
        }
        let fields = Dictionary(pairs, uniquingKeysWith: { _, last in last })
        guard case .string(let descr) = fields["descr"],
            case .boolean(let fortran) = fields["fortran_order"],
            case .sequence(let dimensions) = fields["shape"]
        else {
            throw .malformedHeader(
                format: formatName, detail: "the header lacks descr, fortran_order or shape")
        }
        var shape: [Int] = []
        for dimension in dimensions {
            guard case .integer(let size) = dimension else {
                throw .malformedHeader(format: formatName, detail: "the shape holds a non-integer")
            }
            shape.append(size)
        }
        return (descr, fortran, shape)
    }

    public static func encode(_ tensor: Tensor) throws(LatentFileError) -> Data {
        let descr: String
        switch tensor.dtype {
        case .float32: descr = "<f4"
        case .float16: descr = "<f2"
        case .uint8: descr = "|u1"
        case .bfloat16:
            // NumPy has no bfloat16; writing `<V2` would round-trip nowhere useful.
            throw .unsupportedDType(
                format: formatName, tensor: "output",
                dtype: "bfloat16 (NumPy has no bfloat16; use float32 or safetensors)")
        }
        let shapeText =
            tensor.shape.count == 1
            ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // NumPy pads so the data starts on a 64-byte boundary and ends the header with a newline.
        let unpadded = magic.count + 4 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var output = Data(magic + [1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(contentsOf: Array(header.utf8))
        output.append(contentsOf: tensor.bytes)
        return output
    }
}

/// How one NumPy `descr` maps onto latentty's dtypes.
private struct ElementLayout {
    enum Source {
        case native(DType)
        case float64
    }
    let source: Source
    let bigEndian: Bool
    let byteSize: Int

    init(descr: String, tensor: String) throws(LatentFileError) {
        let order = descr.first
        let code = String(descr.dropFirst())
        bigEndian = order == ">"
        guard order == "<" || order == ">" || order == "|" || order == "=" else {
            throw .unsupportedDType(format: NumPyArray.formatName, tensor: tensor, dtype: descr)
        }
        switch code {
        case "f4":
            source = .native(.float32)
            byteSize = 4
        case "f2":
            source = .native(.float16)
            byteSize = 2
        case "u1":
            source = .native(.uint8)
            byteSize = 1
        case "f8":
            source = .float64
            byteSize = 8
        default: throw .unsupportedDType(format: NumPyArray.formatName, tensor: tensor, dtype: descr)
        }
    }

    func tensor(from raw: [UInt8], shape: [Int]) -> Tensor {
        var bytes = raw
        if bigEndian && byteSize > 1 {
            for start in stride(from: 0, to: bytes.count, by: byteSize) {
                bytes[start..<(start + byteSize)].reverse()
            }
        }
        switch source {
        case .native(let dtype):
            return Tensor(validated: dtype, shape: shape, bytes: bytes)
        case .float64:
            let values = bytes.withUnsafeBytes { buffer in
                (0..<(bytes.count / 8)).map {
                    Float(
                        Double(
                            bitPattern: UInt64(
                                littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))))
                }
            }
            return Tensor(validated: .float32, shape: shape, bytes: Tensor.encode(values, as: .float32))
        }
    }
}
