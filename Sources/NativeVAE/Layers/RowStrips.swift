import Foundation

/// Rows of an activation seen through its pointer, for copying horizontal strips in and out of
/// the small buffers striped convolutions run on. In every `Activation` layout a block's rows are
/// contiguous, so a strip is one `memcpy` per channel block.
struct RowView: @unchecked Sendable {
    // A view, not an owner: valid while the activation it was made from is alive.
    let pointer: UnsafeMutableRawPointer
    let blocks: Int
    let height: Int
    let rowBytes: Int
    let pixelBytes: Int

    init(_ map: borrowing Activation) {
        pointer = map.pointer
        blocks = map.channels / map.block
        height = map.height
        pixelBytes = map.block * map.type.size
        rowBytes = map.width * pixelBytes
    }

    private init(pointer: UnsafeMutableRawPointer, blocks: Int, height: Int, rowBytes: Int, pixelBytes: Int) {
        self.pointer = pointer
        self.blocks = blocks
        self.height = height
        self.rowBytes = rowBytes
        self.pixelBytes = pixelBytes
    }

    /// The same buffer holding fewer rows per block (a shorter last strip).
    func withHeight(_ rows: Int) -> RowView {
        RowView(pointer: pointer, blocks: blocks, height: rows, rowBytes: rowBytes, pixelBytes: pixelBytes)
    }

    /// The first `blocks` channel blocks of the same buffer.
    func prefix(blocks: Int) -> RowView {
        RowView(pointer: pointer, blocks: blocks, height: height, rowBytes: rowBytes, pixelBytes: pixelBytes)
    }

    func row(_ block: Int, _ y: Int) -> UnsafeMutableRawPointer { pointer + (block * height + y) * rowBytes }

    /// `count` rows from `source` starting at `first` (rows outside it read as zeros) into this
    /// view's rows from 0; with `upsampled`, the source is half the size and each of its pixels
    /// is repeated 2×2 (nearest-neighbour upsampling on the fly).
    func fill(from source: RowView, first: Int, count: Int, upsampled: Bool) {
        let sourceHeight = upsampled ? source.height * 2 : source.height
        // Every (block, row) pair is its own piece: channels-last data is a single block.
        parallelFor(blocks * count) { piece in
            let (b, j) = piece.quotientAndRemainder(dividingBy: count)
            let target = row(b, j)
            let y = first + j
            guard y >= 0, y < sourceHeight else {
                target.initializeMemory(as: UInt8.self, repeating: 0, count: rowBytes)
                return
            }
            guard upsampled else {
                target.copyMemory(from: source.row(b, y), byteCount: rowBytes)
                return
            }
            let input = source.row(b, y / 2)
            for x in 0..<(rowBytes / pixelBytes) {
                (target + x * pixelBytes).copyMemory(from: input + (x / 2) * pixelBytes, byteCount: pixelBytes)
            }
        }
    }

    /// Rows `first..<first+count` of `source` into this view's rows from `at`.
    func copy(from source: RowView, first: Int, count: Int, at: Int) {
        parallelFor(blocks * count) { piece in
            let (b, j) = piece.quotientAndRemainder(dividingBy: count)
            row(b, at + j).copyMemory(from: source.row(b, first + j), byteCount: rowBytes)
        }
    }
}
