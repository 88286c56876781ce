/// Conversions between `Float` and the 16-bit float formats, rounding to nearest-even exactly as
/// PyTorch's `c10::Half` and `c10::BFloat16` do. Inlinable: the native decoders call them per element.
public enum HalfPrecision {
    @inlinable @inline(__always)
    public static func float16Bits(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    @inlinable @inline(__always)
    public static func float(fromFloat16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// PyTorch's `round_to_nearest_even`: NaN becomes the canonical quiet NaN 0x7FC0.
    @inlinable @inline(__always)
    public static func bfloat16Bits(_ value: Float) -> UInt16 {
        if value.isNaN { return 0x7FC0 }
        let bits = value.bitPattern
        let rounding = UInt32(0x7FFF) &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    @inlinable @inline(__always)
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
