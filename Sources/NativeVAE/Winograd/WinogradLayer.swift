import CDNNL

/// A 3×3, stride-1, padding-1 convolution by Winograd F(4×4, 3×3) on any x86 CPU: the input
/// transform reads the activation in its own layout (2× nearest upsampling folded into the read),
/// the 36 products `V[ξ] (tiles×inputs) · U[ξ] (inputs×outputs)` are one batched oneDNN matmul
/// (jit kernels for AVX2, AVX-512, AVX512-BF16 and AMX), and the output transform adds the bias,
/// the residual and the ReLU as it writes.
///
/// The image goes through in horizontal strips of tile rows, so the transformed tiles stay
/// within `stripScratchBytes` whatever the image size. bf16 keeps transformed tiles and weights in
/// bf16 with f32 products (the matmul accumulates in f32).
final class WinogradLayer {
    let inputs: Int
    let outputs: Int
    /// The matmul's operand type.
    let operandType: ElementType
    let stripScratchBytes: Int
    /// The fewest tiles a strip's products multiply, where the budget alone would allow fewer: the
    /// wide layers' matmuls lose efficiency below it.
    let minimumStripTiles: Int
    static let defaultMinimumStripTiles = 256
    private let bias: [Lanes]
    /// OIHW, for transforming again each call while the transformed copy is not kept (dropped once it is).
    private var plainWeights: [Float]?
    private var keptWeights: (pointer: UnsafeMutableRawPointer, bytes: Int)?
    private var matmuls: [Int: DNNLPrimitive] = [:]
    /// Recorded in the kernel log on the first run, not on each of the decode's calls.
    private var logged = false

    static let points = 36

    /// Whether the layer can run here: eight-channel vectors on both sides.
    static func supports(inputs: Int, outputs: Int) -> Bool { inputs % 8 == 0 && outputs % 8 == 0 }

    init(
        inputs: Int, outputs: Int, weights: [Float], bias: [Float]?, operandType: ElementType, stripScratchBytes: Int,
        minimumStripTiles: Int = defaultMinimumStripTiles
    ) {
        self.minimumStripTiles = minimumStripTiles
        precondition(Self.supports(inputs: inputs, outputs: outputs) && weights.count == inputs * outputs * 9)
        self.inputs = inputs
        self.outputs = outputs
        self.operandType = operandType
        self.stripScratchBytes = stripScratchBytes
        plainWeights = weights
        let values = bias ?? [Float](repeating: 0, count: outputs)
        self.bias = stride(from: 0, to: outputs, by: 8).map { Lanes(values[$0..<$0 + 8]) }
    }

    deinit { keptWeights.map { $0.pointer.deallocate() } }

    var transformedWeightBytes: Int { Self.points * inputs * outputs * operandType.size }

    /// What the convolution reads and writes, through raw views so one buffer can be both (`inPlace`).
    struct Operands {
        let source: LaneAccess
        let sourceWidth: Int
        /// The convolution's input and output size (twice the source's when upsampled).
        let height: Int
        let width: Int
        let upsampled: Bool
        let destination: LaneAccess
        let accumulate: Bool
        let relu: Bool
        /// The destination overwrites the source: each strip is written only after the next strip
        /// has read its top halo row, the last source row the write reaches.
        let inPlace: Bool
        /// What lies outside the image: zeros, or (HunyuanVideo's causal convolutions) the nearest
        /// edge pixel, clamped in the convolution's coordinates, so an upsampled read repeats the
        /// upsampled edge.
        var padding: Padding = .zeros
    }

    enum Padding: Sendable {
        case zeros
        case replicate
    }

    /// Runs the convolution; `keepWeights` keeps the transformed weights for the next call (else
    /// they are made in a pooled buffer and released on return).
    func run(_ operands: Operands, keepWeights: Bool, context: DNNL) throws {
        try withTransformedWeights(keep: keepWeights) { try run(operands, weights: $0, context: context) }
    }

    /// Calls `body` with the transformed weights, so several runs (the frames of a clip) share one
    /// transform; `keep` keeps them for later calls, else they are released on return.
    func withTransformedWeights<Result>(keep: Bool, _ body: (UnsafeMutableRawPointer) throws -> Result) rethrows -> Result {
        let weights = transformedWeights(keep: keep)
        defer { if keptWeights == nil { ActivationPool.shared.give(weights, byteCount: transformedWeightBytes) } }
        return try body(weights)
    }

    /// Runs the convolution with weights from `withTransformedWeights`.
    func run(_ operands: Operands, weights: UnsafeMutableRawPointer, context: DNNL) throws {
        if !logged {
            context.kernels.record(
                kind: "convolution", implementation: "latentty winograd F(4×4,3×3)",
                types: "\(operands.source.type.name)→\(operands.destination.type.name), products \(operandType.name)")
            logged = true
        }
        let tileColumns = (operands.width + 3) / 4
        let tileRows = (operands.height + 3) / 4
        let stripRows = Self.stripRows(
            tileRows: tileRows, tileColumns: tileColumns, inputs: inputs, outputs: outputs, operandSize: operandType.size,
            budget: stripScratchBytes, minimumTiles: minimumStripTiles)
        let maxTiles = stripRows * tileColumns
        let tileBytes = (Self.points * maxTiles * inputs * operandType.size + 63) / 64 * 64
        // One buffer of the budget's size for the layers that fit it, so the pool hands the same
        // pages from layer to layer instead of faulting in new ones.
        let scratchBytes = max(stripScratchBytes, tileBytes + Self.points * maxTiles * outputs * 4)
        let tiles = ActivationPool.shared.take(byteCount: scratchBytes)
        let products = tiles + tileBytes
        defer { ActivationPool.shared.give(tiles, byteCount: scratchBytes) }
        var pending: Range<Int>?
        for first in stride(from: 0, to: tileRows, by: stripRows) {
            let strip = first..<min(first + stripRows, tileRows)
            transformInput(operands, strip: strip, tileColumns: tileColumns, into: tiles)
            if let done = pending {
                transformOutput(products, strip: done, tileColumns: tileColumns, operands)
                pending = nil
            }
            try multiply(tiles, weights, into: products, tiles: strip.count * tileColumns, context: context)
            if operands.inPlace {
                pending = strip
            } else {
                transformOutput(products, strip: strip, tileColumns: tileColumns, operands)
            }
        }
        if let done = pending { transformOutput(products, strip: done, tileColumns: tileColumns, operands) }
    }

    /// Tile rows per strip: as many as fit the scratch budget, so the narrow layers' transformed
    /// tiles stay in cache between the transforms and the products (which are memory-bound
    /// there), but enough for `minimumTiles`. Measured at 512² here: a 4 MB budget with at
    /// least 256 tiles took TAESD from 0.29 to 0.24 s and SD v1 from 3.5 to 3.2 s against 32 MB strips.
    static func stripRows(
        tileRows: Int, tileColumns: Int, inputs: Int, outputs: Int, operandSize: Int, budget: Int, minimumTiles: Int
    ) -> Int {
        let bytesPerTileRow = points * tileColumns * (inputs * operandSize + outputs * 4)
        let forProducts = (minimumTiles + tileColumns - 1) / tileColumns
        return max(1, min(tileRows, max(forProducts, budget / bytesPerTileRow)))
    }

    // MARK: - Weights

    /// `U[ξ]` as 36 row-major inputs×outputs matrices.
    private func transformedWeights(keep: Bool) -> UnsafeMutableRawPointer {
        if let keptWeights { return keptWeights.pointer }
        let bytes = transformedWeightBytes
        let target = keep ? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64) : ActivationPool.shared.take(byteCount: bytes)
        transformWeights(into: target)
        if keep {
            keptWeights = (target, bytes)
            plainWeights = nil
        }
        return target
    }

    private func transformWeights(into target: UnsafeMutableRawPointer) {
        let (inputs, outputs) = (inputs, outputs)
        let stride = inputs * outputs
        let type = operandType
        guard let plainWeights else { preconditionFailure("weights are transformed from the plain ones until kept") }
        plainWeights.withUnsafeBufferPointer { plain in
            let source = UnsafeSendable(plain.baseAddress!)
            let destination = UnsafeSendable(target)
            parallelFor(inputs) { c in
                withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 9) { taps in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: Self.points * 8) { floats in
                        for o in Swift.stride(from: 0, to: outputs, by: 8) {
                            for k in 0..<9 {
                                var lanes = Lanes()
                                for l in 0..<8 { lanes[l] = source.value[((o + l) * inputs + c) * 9 + k] }
                                taps[k] = lanes
                            }
                            WinogradKernels.weightTile(UnsafePointer(taps.baseAddress!), into: floats.baseAddress!, stride: 8)
                            for point in 0..<Self.points {
                                let value = Float.load8(floats.baseAddress! + point * 8)
                                type.store8(value, destination.value, point * stride + c * outputs + o)
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: - Products

    private func multiply(
        _ tiles: UnsafeMutableRawPointer, _ weights: UnsafeMutableRawPointer, into products: UnsafeMutableRawPointer, tiles count: Int,
        context: DNNL
    ) throws {
        let primitive = try matmul(tiles: count, context: context)
        let source = try DNNLMemory(
            try memoryDesc([Self.points, count, inputs], tag: dnnl_abc, type: operandType.dnnl), engine: context.engine, pointer: tiles)
        let weightMemory = try DNNLMemory(
            try memoryDesc([Self.points, inputs, outputs], tag: dnnl_abc, type: operandType.dnnl), engine: context.engine,
            pointer: weights)
        let destination = try DNNLMemory(
            try memoryDesc([Self.points, count, outputs], tag: dnnl_abc), engine: context.engine, pointer: products)
        try primitive.execute([(argSource, source), (argWeights, weightMemory), (argDestination, destination)], context: context)
    }

    private func matmul(tiles: Int, context: DNNL) throws -> DNNLPrimitive {
        if let primitive = matmuls[tiles] { return primitive }
        var source = try memoryDesc([Self.points, tiles, inputs], tag: dnnl_abc, type: operandType.dnnl)
        var weights = try memoryDesc([Self.points, inputs, outputs], tag: dnnl_abc, type: operandType.dnnl)
        var destination = try memoryDesc([Self.points, tiles, outputs], tag: dnnl_abc)
        var description = dnnl_matmul_desc_t()
        try check(dnnl_matmul_desc_init(&description, &source, &weights, nil, &destination), "dnnl_matmul_desc_init")
        let attributes = try DNNLAttributes(userScratchpad: true)
        let primitive = try withUnsafePointer(to: &description) {
            try DNNLPrimitive($0, attributes: attributes, kind: "winograd products", context: context)
        }
        matmuls[tiles] = primitive
        return primitive
    }

    // MARK: - Tiles

    /// `Bᵀ d B` of every tile in the strip's tile rows, for every eight channels, into
    /// `V[ξ][tile][channel]`.
    private func transformInput(_ operands: Operands, strip: Range<Int>, tileColumns: Int, into tiles: UnsafeMutableRawPointer) {
        let count = strip.count * tileColumns
        let inputs = inputs
        let pointStride = count * inputs
        let type = operandType
        let target = UnsafeSendable(tiles)
        let source = operands.source
        let shift = operands.upsampled ? 1 : 0
        let replicate = operands.padding == .replicate
        let (height, width, sourceWidth, block) = (operands.height, operands.width, operands.sourceWidth, source.block)
        let channelBases = stride(from: 0, to: inputs, by: 8).map { source.channelBase($0) }
        channelBases.withUnsafeBufferPointer { bases in
            let bases = UnsafeSendable(bases.baseAddress!)
            let pieces = chunkRanges(count, minimum: 4)
            parallelFor(pieces.count) { piece in
                let range = pieces[piece]
                withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 36) { buffer in
                    let d = buffer.baseAddress!
                    withUnsafeTemporaryAllocation(of: Int.self, capacity: 12) { offsets in
                        let (rows, columns) = (offsets.baseAddress!, offsets.baseAddress! + 6)
                        for tile in range {
                            let (tileRow, tileColumn) = tile.quotientAndRemainder(dividingBy: tileColumns)
                            for i in 0..<6 {
                                var y = (strip.lowerBound + tileRow) * 4 - 1 + i
                                var x = tileColumn * 4 - 1 + i
                                if replicate {
                                    y = min(max(y, 0), height - 1)
                                    x = min(max(x, 0), width - 1)
                                }
                                rows[i] = y >= 0 && y < height ? (y >> shift) * sourceWidth * block : -1
                                columns[i] = x >= 0 && x < width ? (x >> shift) * block : -1
                            }
                            for chunk in 0..<(inputs / 8) {
                                let base = bases.value[chunk]
                                for i in 0..<6 {
                                    for j in 0..<6 {
                                        d[i * 6 + j] = rows[i] < 0 || columns[j] < 0 ? Lanes() : source.load(base + rows[i] + columns[j])
                                    }
                                }
                                for j in 0..<6 {
                                    let t = WinogradKernels.inputColumn(d[j], d[6 + j], d[12 + j], d[18 + j], d[24 + j], d[30 + j])
                                    (d[j], d[6 + j], d[12 + j], d[18 + j], d[24 + j], d[30 + j]) = t
                                }
                                let element = tile * inputs + chunk * 8
                                for i in 0..<6 {
                                    let row = d + i * 6
                                    let t = WinogradKernels.inputColumn(row[0], row[1], row[2], row[3], row[4], row[5])
                                    let point = element + i * 6 * pointStride
                                    type.store8(t.0, target.value, point)
                                    type.store8(t.1, target.value, point + pointStride)
                                    type.store8(t.2, target.value, point + 2 * pointStride)
                                    type.store8(t.3, target.value, point + 3 * pointStride)
                                    type.store8(t.4, target.value, point + 4 * pointStride)
                                    type.store8(t.5, target.value, point + 5 * pointStride)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `Aᵀ m A` of every tile in the strip, plus bias, residual and ReLU, into the destination.
    private func transformOutput(_ products: UnsafeMutableRawPointer, strip: Range<Int>, tileColumns: Int, _ operands: Operands) {
        let count = strip.count * tileColumns
        let outputs = outputs
        let pointStride = count * outputs
        let m = UnsafeSendable(UnsafePointer(products.assumingMemoryBound(to: Float.self)))
        let destination = operands.destination
        let (height, width, block) = (operands.height, operands.width, destination.block)
        let (accumulate, relu) = (operands.accumulate, operands.relu)
        let channelBases = stride(from: 0, to: outputs, by: 8).map { destination.channelBase($0) }
        channelBases.withUnsafeBufferPointer { bases in
            bias.withUnsafeBufferPointer { bias in
                let (bases, bias) = (UnsafeSendable(bases.baseAddress!), UnsafeSendable(bias.baseAddress!))
                let pieces = chunkRanges(count, minimum: 4)
                parallelFor(pieces.count) { piece in
                    let range = pieces[piece]
                    withUnsafeTemporaryAllocation(of: Lanes.self, capacity: 36) { buffer in
                        let r = buffer.baseAddress!
                        for tile in range {
                            let (tileRow, tileColumn) = tile.quotientAndRemainder(dividingBy: tileColumns)
                            let top = (strip.lowerBound + tileRow) * 4
                            let left = tileColumn * 4
                            let rowCount = min(4, height - top)
                            let columnCount = min(4, width - left)
                            for chunk in 0..<(outputs / 8) {
                                let source = m.value + tile * outputs + chunk * 8
                                for j in 0..<6 {
                                    let t = WinogradKernels.outputColumn(
                                        Float.load8(source + j * pointStride),
                                        Float.load8(source + (6 + j) * pointStride),
                                        Float.load8(source + (12 + j) * pointStride),
                                        Float.load8(source + (18 + j) * pointStride),
                                        Float.load8(source + (24 + j) * pointStride),
                                        Float.load8(source + (30 + j) * pointStride))
                                    (r[j], r[6 + j], r[12 + j], r[18 + j]) = t
                                }
                                let b = bias.value[chunk]
                                let base = bases.value[chunk]
                                for i in 0..<rowCount {
                                    let row = r + i * 6
                                    (row[0], row[1], row[2], row[3]) = WinogradKernels.outputColumn(
                                        row[0], row[1], row[2], row[3], row[4], row[5])
                                    let pixel = base + ((top + i) * width + left) * block
                                    for k in 0..<columnCount {
                                        let element = pixel + k * block
                                        var value = row[k] + b
                                        if accumulate { value += destination.load(element) }
                                        if relu { value = value.replacing(with: 0, where: value .< 0) }
                                        destination.store(value, element)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
