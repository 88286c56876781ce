import Foundation

public enum TensorError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case byteCountMismatch(shape: [Int], dtype: DType, expected: Int, actual: Int)
    case invalidShape([Int])
    case reshapeMismatch(from: [Int], to: [Int])
    case notFloatingPoint(DType)

    public var description: String {
        switch self {
        case .byteCountMismatch(let shape, let dtype, let expected, let actual):
            "a \(dtype.rawValue) tensor of shape \(shape.shapeText) needs \(expected) bytes, but \(actual) were given"
        case .invalidShape(let shape):
            "shape \(shape.shapeText) is not valid: dimensions must be non-negative and the element count must fit in memory"
        case .reshapeMismatch(let from, let to):
            "cannot reshape \(from.shapeText) to \(to.shapeText): element counts differ"
        case .notFloatingPoint(let dtype):
            "\(dtype.rawValue) is not a floating-point dtype; use float32, float16 or bfloat16"
        }
    }

    public var errorDescription: String? { description }
}

extension Array where Element == Int {
    /// `[1, 4, 64, 64]`, the way PyTorch prints a shape.
    public var shapeText: String { "[" + map(String.init).joined(separator: ", ") + "]" }
}

/// Number of elements of a shape, or nil when a dimension is negative or the product overflows.
public func shapeElementCount(_ shape: [Int]) -> Int? {
    // A zero dimension makes the count zero whatever the others multiply to.
    if shape.contains(0) { return shape.allSatisfy { $0 >= 0 } ? 0 : nil }
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        count = product
    }
    return count
}

/// A dense tensor: C-contiguous, little-endian element bytes. A value type, like the latents it holds.
public struct Tensor: Sendable, Equatable {
    public let dtype: DType
    public let shape: [Int]
    public let bytes: [UInt8]

    public init(dtype: DType, shape: [Int], bytes: [UInt8]) throws(TensorError) {
        guard let count = shapeElementCount(shape) else { throw .invalidShape(shape) }
        let (expected, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw .invalidShape(shape) }
        guard expected == bytes.count else {
            throw .byteCountMismatch(shape: shape, dtype: dtype, expected: expected, actual: bytes.count)
        }
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Builds a tensor of `dtype` from float values, rounding to nearest-even for 16-bit types and
    /// saturating (round half to even, clamp to 0…255) for uint8.
    public init(values: [Float], shape: [Int], dtype: DType = .float32) throws(TensorError) {
        guard let count = shapeElementCount(shape), count == values.count else {
            throw .byteCountMismatch(
                shape: shape, dtype: dtype,
                expected: (shapeElementCount(shape) ?? 0) * dtype.byteSize,
                actual: values.count * dtype.byteSize)
        }
        try self.init(dtype: dtype, shape: shape, bytes: Tensor.encode(values, as: dtype))
    }

    /// For callers that produced `bytes` from this very shape and dtype, so the count is right by construction.
    init(validated dtype: DType, shape: [Int], bytes: [UInt8]) {
        assert(shapeElementCount(shape).map { $0 * dtype.byteSize } == bytes.count)
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public var elementCount: Int { bytes.count / dtype.byteSize }
    public var rank: Int { shape.count }

    /// All elements widened to `Float` (exact for every supported dtype).
    public func floatValues() -> [Float] {
        bytes.withUnsafeBytes { Self.floatValues(raw: $0, dtype: dtype, count: elementCount) }
    }

    /// `count` little-endian values of `dtype` at the start of `raw`, as Float.
    static func floatValues(raw: UnsafeRawBufferPointer, dtype: DType, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch dtype {
            case .float32:
                for i in 0..<count {
                    out[i] = Float(
                        bitPattern: UInt32(
                            littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                }
            case .float16:
                for i in 0..<count {
                    out[i] = HalfPrecision.float(
                        fromFloat16: UInt16(
                            littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                }
            case .bfloat16:
                for i in 0..<count {
                    out[i] = HalfPrecision.float(
                        fromBFloat16: UInt16(
                            littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
                }
            case .uint8:
                for i in 0..<count { out[i] = Float(raw[i]) }
            }
            initialized = count
        }
    }

    /// The same values in another dtype (PyTorch's `.to(dtype)` for floats; uint8 saturates).
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return self }
        return Tensor(validated: target, shape: shape, bytes: Tensor.encode(floatValues(), as: target))
    }

    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        guard shapeElementCount(newShape) == elementCount else {
            throw .reshapeMismatch(from: shape, to: newShape)
        }
        return try Tensor(dtype: dtype, shape: newShape, bytes: bytes)
    }

    /// Applies `transform` to every element in float32 and stores the result in this tensor's dtype.
    public func mapValues(_ transform: (Float) -> Float) -> Tensor {
        Tensor(
            validated: dtype, shape: shape, bytes: Tensor.encode(floatValues().map(transform), as: dtype))
    }

    static func encode(_ values: [Float], as dtype: DType) -> [UInt8] {
        let count = values.count
        return [UInt8](unsafeUninitializedCapacity: count * dtype.byteSize) { out, initialized in
            let raw = UnsafeMutableRawBufferPointer(out)
            switch dtype {
            case .float32:
                for i in 0..<count {
                    raw.storeBytes(
                        of: values[i].bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            case .float16:
                for i in 0..<count {
                    raw.storeBytes(
                        of: HalfPrecision.float16Bits(values[i]).littleEndian, toByteOffset: i * 2,
                        as: UInt16.self)
                }
            case .bfloat16:
                for i in 0..<count {
                    raw.storeBytes(
                        of: HalfPrecision.bfloat16Bits(values[i]).littleEndian, toByteOffset: i * 2,
                        as: UInt16.self)
                }
            case .uint8:
                for i in 0..<count {
                    let v = values[i]
                    out[i] = v.isNaN ? 0 : UInt8(min(max(v.rounded(.toNearestOrEven), 0), 255))
                }
            }
            initialized = count * dtype.byteSize
        }
    }
}
