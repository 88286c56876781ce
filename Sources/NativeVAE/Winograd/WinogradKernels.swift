/// The three Winograd F(4×4, 3×3) transforms in Swift SIMD, eight channels per vector: Swift's
/// SIMD types compile to whatever vector unit the build targets, so the same code runs on every
/// x86 CPU (oneDNN's own Winograd exists only for AVX-512). Interpolation points 0, ±1, ±2, ∞
/// (Lavin & Gray); the matrices are spelled out in `WinogradF4x3`.
typealias Lanes = SIMD8<Float>

enum WinogradKernels {
    /// Channels per vector.
    static let lanes = 8

    /// `Bᵀ d` for one column of a 6×6 input tile.
    @inline(__always)
    static func inputColumn(_ d0: Lanes, _ d1: Lanes, _ d2: Lanes, _ d3: Lanes, _ d4: Lanes, _ d5: Lanes) -> (
        Lanes, Lanes, Lanes, Lanes, Lanes, Lanes
    ) {
        let four: Float = 4
        let sum12 = d1 + d2
        let difference12 = d1 - d2
        let odd31 = (d3 - d1) * 2
        let even42 = d4 - d2
        return (
            d0 * four - d2 * 5 + d4,
            d3 + d4 - sum12 * four,
            d4 - d3 + difference12 * four,
            even42 + odd31,
            even42 - odd31,
            d1 * four - d3 * 5 + d5
        )
    }

    /// `Aᵀ m` for one column of a 6×6 product tile.
    @inline(__always)
    static func outputColumn(_ m0: Lanes, _ m1: Lanes, _ m2: Lanes, _ m3: Lanes, _ m4: Lanes, _ m5: Lanes) -> (Lanes, Lanes, Lanes, Lanes) {
        let sum12 = m1 + m2
        let difference12 = m1 - m2
        let sum34 = m3 + m4
        let difference34 = m3 - m4
        return (m0 + sum12 + sum34, difference12 + difference34 * 2, sum12 + sum34 * 4, difference12 + difference34 * 8 + m5)
    }

    /// `G g Gᵀ` for eight (output, input) channel pairs at once: `g` holds the 3×3 kernel's nine
    /// taps, row-major; the 36 points go to `out[ξ * stride]`.
    @inline(__always)
    static func weightTile(_ g: UnsafePointer<Lanes>, into out: UnsafeMutablePointer<Float>, stride: Int) {
        // G: rows (1/4, 0, 0), (−1/6, −1/6, −1/6), (−1/6, 1/6, −1/6), (1/24, 1/12, 1/6), (1/24, −1/12, 1/6), (0, 0, 1).
        @inline(__always) func column(_ a: Lanes, _ b: Lanes, _ c: Lanes) -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) {
            let sixth: Float = 1.0 / 6
            let outer = (a + c) * -sixth
            let inner = b * sixth
            let near = a * (1.0 / 24) + c * sixth
            let twelfth = b * (1.0 / 12)
            return (a * 0.25, outer - inner, outer + inner, near + twelfth, near - twelfth, c)
        }
        withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 18) { half in
            // G g: 6 rows × 3 columns.
            for x in 0..<3 {
                let t = column(g[x], g[3 + x], g[6 + x])
                half[x] = t.0
                half[3 + x] = t.1
                half[6 + x] = t.2
                half[9 + x] = t.3
                half[12 + x] = t.4
                half[15 + x] = t.5
            }
            for y in 0..<6 {
                let t = column(half[y * 3], half[y * 3 + 1], half[y * 3 + 2])
                let row = out + y * 6 * stride
                Float.store8(t.0, row)
                Float.store8(t.1, row + stride)
                Float.store8(t.2, row + 2 * stride)
                Float.store8(t.3, row + 3 * stride)
                Float.store8(t.4, row + 4 * stride)
                Float.store8(t.5, row + 5 * stride)
            }
        }
    }

}

extension ElementType {
    /// Eight values from element `element` of a buffer of this type, as floats.
    @inline(__always)
    func load8(_ base: UnsafeMutableRawPointer, _ element: Int) -> Lanes {
        switch self {
        case .f32: Float.load8(base.assumingMemoryBound(to: Float.self) + element)
        case .bf16: BFloat16.load8(base.assumingMemoryBound(to: BFloat16.self) + element)
        }
    }

    /// Eight floats stored from element `element` on, rounded to this type.
    @inline(__always)
    func store8(_ value: Lanes, _ base: UnsafeMutableRawPointer, _ element: Int) {
        switch self {
        case .f32: Float.store8(value, base.assumingMemoryBound(to: Float.self) + element)
        case .bf16: BFloat16.store8(value, base.assumingMemoryBound(to: BFloat16.self) + element)
        }
    }
}

/// How a transform addresses activation elements: the layouts `Activation` stores (channels last,
/// or blocks of 8 or 16 channels), f32 or bf16, read as eight-channel vectors.
struct LaneAccess {
    let base: UnsafeMutableRawPointer
    let type: ElementType
    let block: Int
    let pixels: Int

    init(_ map: borrowing Activation) {
        base = map.pointer
        type = map.type
        block = map.block
        pixels = map.pixels
    }

    /// The element index of channel `channel` (a multiple of 8) at pixel 0.
    @inline(__always)
    func channelBase(_ channel: Int) -> Int { (channel / block) * pixels * block + channel % block }

    @inline(__always)
    func load(_ element: Int) -> Lanes { type.load8(base, element) }

    @inline(__always)
    func store(_ value: Lanes, _ element: Int) { type.store8(value, base, element) }
}
