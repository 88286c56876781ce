/// Winograd F(4×4, 3×3) (Lavin & Gray, interpolation points 0, ±1, ±2, ∞): a 3×3 convolution of a
/// 6×6 input tile gives a 4×4 output tile with 36 multiplies per channel pair instead of 144. Three
/// transforms — weights `G g Gᵀ`, input `Bᵀ d B`, output `Aᵀ m A` — around 36 independent matrix
/// products (one per point ξ of the 6×6 transformed tile), which are what a GEMM library is best at.
/// This is the one 3×3 convolution of every ISA (issue 12): oneDNN's own Winograd exists only for
/// AVX-512.
enum WinogradF4x3 {
    static let inputTile = 6
    static let outputTile = 4
    static let points = inputTile * inputTile

    static let bt: [[Float]] = [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ]
    static let g: [[Float]] = [
        [1.0 / 4, 0, 0],
        [-1.0 / 6, -1.0 / 6, -1.0 / 6],
        [-1.0 / 6, 1.0 / 6, -1.0 / 6],
        [1.0 / 24, 1.0 / 12, 1.0 / 6],
        [1.0 / 24, -1.0 / 12, 1.0 / 6],
        [0, 0, 1],
    ]
    static let at: [[Float]] = [
        [1, 1, 1, 1, 1, 0],
        [0, 1, -1, 2, -2, 0],
        [0, 1, 1, 4, 4, 0],
        [0, 1, -1, 8, -8, 1],
    ]

    /// `G g Gᵀ` for every (output, input) channel pair of OIHW 3×3 `weights`, laid out as 36 row-major
    /// `outputs`×`inputs` matrices (point-major), the left operands of the 36 products.
    static func transformWeights(_ weights: [Float], outputs: Int, inputs: Int) -> [Float] {
        precondition(weights.count == outputs * inputs * 9, "OIHW 3×3 weights")
        var transformed = [Float](repeating: 0, count: points * outputs * inputs)
        var kernel = [Float](repeating: 0, count: 9)
        var half = [Float](repeating: 0, count: 18)  // G g: 6×3
        for o in 0..<outputs {
            for c in 0..<inputs {
                let base = (o * inputs + c) * 9
                for i in 0..<9 { kernel[i] = weights[base + i] }
                for row in 0..<6 {
                    for column in 0..<3 {
                        half[row * 3 + column] =
                            g[row][0] * kernel[column] + g[row][1] * kernel[3 + column] + g[row][2] * kernel[6 + column]
                    }
                }
                for row in 0..<6 {
                    for column in 0..<6 {
                        let value = half[row * 3] * g[column][0] + half[row * 3 + 1] * g[column][1] + half[row * 3 + 2] * g[column][2]
                        transformed[(row * 6 + column) * outputs * inputs + o * inputs + c] = value
                    }
                }
            }
        }
        return transformed
    }

    /// `Bᵀ d B` of the 6×6 tile of `plane` (height×width, zero outside) whose top-left is (`top`,
    /// `left`), written to `out[ξ * stride]` for the 36 points ξ.
    @inline(__always)
    static func transformInput(
        _ plane: UnsafeBufferPointer<Float>, height: Int, width: Int, top: Int, left: Int, into out: UnsafeMutablePointer<Float>,
        stride: Int
    ) {
        var d = [Float](repeating: 0, count: 36)
        for row in 0..<6 where top + row >= 0 && top + row < height {
            for column in 0..<6 where left + column >= 0 && left + column < width {
                d[row * 6 + column] = plane[(top + row) * width + left + column]
            }
        }
        var half = [Float](repeating: 0, count: 36)  // Bᵀ d
        for row in 0..<6 {
            for column in 0..<6 {
                var sum: Float = 0
                for k in 0..<6 where bt[row][k] != 0 { sum += bt[row][k] * d[k * 6 + column] }
                half[row * 6 + column] = sum
            }
        }
        for row in 0..<6 {
            for column in 0..<6 {
                var sum: Float = 0
                for k in 0..<6 where bt[column][k] != 0 { sum += half[row * 6 + k] * bt[column][k] }
                out[(row * 6 + column) * stride] = sum
            }
        }
    }

    /// `Aᵀ m A` of the 36 products `m[ξ * stride]`: the 4×4 output tile, row-major.
    @inline(__always)
    static func transformOutput(_ m: UnsafePointer<Float>, stride: Int) -> [Float] {
        var half = [Float](repeating: 0, count: 24)  // Aᵀ m: 4×6
        for row in 0..<4 {
            for column in 0..<6 {
                var sum: Float = 0
                for k in 0..<6 where at[row][k] != 0 { sum += at[row][k] * m[(k * 6 + column) * stride] }
                half[row * 6 + column] = sum
            }
        }
        var tile = [Float](repeating: 0, count: 16)
        for row in 0..<4 {
            for column in 0..<4 {
                var sum: Float = 0
                for k in 0..<6 where at[column][k] != 0 { sum += half[row * 6 + k] * at[column][k] }
                tile[row * 4 + column] = sum
            }
        }
        return tile
    }
}

/// A 3×3, stride-1, padding-1 convolution through Winograd F(4×4, 3×3): the input tiles of every
/// channel transformed, the 36 products `U[ξ] (outputs×inputs) · V[ξ] (inputs×tiles)` on oneDNN's
/// matmul (jit kernels for AVX2, AVX-512 and AMX alike), then the output transform with the bias.
final class WinogradConvolution {
    let inputs: Int
    let outputs: Int
    private let transformedWeights: [Float]
    private let bias: [Float]
    private let matmul = MatMul()

    init(weights: [Float], bias: [Float], outputs: Int, inputs: Int) {
        precondition(bias.count == outputs, "one bias per output channel")
        self.inputs = inputs
        self.outputs = outputs
        self.bias = bias
        transformedWeights = WinogradF4x3.transformWeights(weights, outputs: outputs, inputs: inputs)
    }

    func forward(_ input: FeatureMap, context: DNNL) throws -> FeatureMap {
        precondition(input.channels == inputs, "input channels")
        let (height, width) = (input.height, input.width)
        let tileRows = (height + 3) / 4
        let tileColumns = (width + 3) / 4
        let tiles = tileRows * tileColumns
        let points = WinogradF4x3.points
        // V: 36 matrices inputs×tiles; M: 36 matrices outputs×tiles.
        var v = [Float](repeating: 0, count: points * inputs * tiles)
        var m = [Float](repeating: 0, count: points * outputs * tiles)
        let plane = height * width
        input.data.withUnsafeBufferPointer { data in
            v.withUnsafeMutableBufferPointer { v in
                for c in 0..<inputs {
                    let channel = UnsafeBufferPointer(rebasing: data[(c * plane)..<((c + 1) * plane)])
                    for tileRow in 0..<tileRows {
                        for tileColumn in 0..<tileColumns {
                            let tile = tileRow * tileColumns + tileColumn
                            WinogradF4x3.transformInput(
                                channel, height: height, width: width, top: tileRow * 4 - 1, left: tileColumn * 4 - 1,
                                into: v.baseAddress! + c * tiles + tile, stride: inputs * tiles)
                        }
                    }
                }
            }
        }
        var weights = transformedWeights
        try weights.withUnsafeMutableBytes { u in
            try v.withUnsafeMutableBytes { v in
                try m.withUnsafeMutableBytes { m in
                    for point in 0..<points {
                        try matmul.multiply(
                            u.baseAddress! + point * outputs * inputs * 4, aStrides: [inputs, 1],
                            v.baseAddress! + point * inputs * tiles * 4, bStrides: [tiles, 1],
                            into: m.baseAddress! + point * outputs * tiles * 4, cStrides: [tiles, 1], m: outputs, k: inputs, n: tiles,
                            context: context)
                    }
                }
            }
        }
        var output = [Float](repeating: 0, count: outputs * plane)
        m.withUnsafeBufferPointer { m in
            for o in 0..<outputs {
                for tileRow in 0..<tileRows {
                    for tileColumn in 0..<tileColumns {
                        let tile = tileRow * tileColumns + tileColumn
                        let values = WinogradF4x3.transformOutput(m.baseAddress! + o * tiles + tile, stride: outputs * tiles)
                        for row in 0..<4 where tileRow * 4 + row < height {
                            for column in 0..<4 where tileColumn * 4 + column < width {
                                output[o * plane + (tileRow * 4 + row) * width + tileColumn * 4 + column] =
                                    values[row * 4 + column] + bias[o]
                            }
                        }
                    }
                }
            }
        }
        return FeatureMap(channels: outputs, height: height, width: width, data: output)
    }
}
