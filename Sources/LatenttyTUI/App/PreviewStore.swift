import Foundation
import ImageCodecs
import LatentKit
import Synchronization
import TerminalGraphics
import Wire

/// How previews are drawn in this terminal.
public enum GraphicsMode: String, Sendable, CaseIterable {
    case auto, sixel, blocks, none
}

/// Decoded images per job (read from the job's output files off the UI thread) and their
/// terminal encodings per size, so a redraw costs a dictionary lookup.
final class PreviewStore: Sendable {
    struct Frames: Sendable {
        var images: [RGBImage]
        var error: String?
    }

    struct EncodingKey: Hashable, Sendable {
        var jobID: UUID
        var compareWith: UUID?
        var frame: Int
        var columns: Int
        var rows: Int
    }

    private struct State {
        var frames: [UUID: Frames] = [:]
        var loading: Set<UUID> = []
        var encodings: [EncodingKey: [RasterPiece]] = [:]
        var encoding: Set<EncodingKey> = []
        var psnr: [EncodingKey: Double] = [:]
    }

    private let state = Mutex(State())

    func frames(_ id: UUID) -> Frames? { state.withLock { $0.frames[id] } }

    /// Starts loading a job's images unless loaded or loading; `done` runs when they are in.
    func load(_ id: UUID, outputs: [String], done: @escaping @Sendable () -> Void) {
        let start = state.withLock { state -> Bool in
            guard state.frames[id] == nil, !state.loading.contains(id) else { return false }
            state.loading.insert(id)
            return true
        }
        guard start else { return }
        Task.detached { [self] in
            let frames = Self.readFrames(outputs)
            state.withLock { state in
                state.frames[id] = frames
                state.loading.remove(id)
            }
            done()
        }
    }

    static func readFrames(_ outputs: [String]) -> Frames {
        do {
            if let tensorFile = outputs.first(where: { $0.hasSuffix(".safetensors") }) {
                let tensor = try LatentFile.read(contentsOf: URL(fileURLWithPath: tensorFile)).latent().tensor
                return Frames(images: try TensorImages.images(from: tensor))
            }
            if let video = outputs.first(where: { $0.hasSuffix(".mp4") }) {
                return Frames(images: try MP4Decoder.frames(of: URL(fileURLWithPath: video)))
            }
            let images = try outputs.filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted().map { path in
                try ImageDecoder.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            }
            return Frames(images: images, error: images.isEmpty ? "no image among the outputs" : nil)
        } catch {
            return Frames(images: [], error: "cannot show the result: \(error)")
        }
    }

    func encoding(_ key: EncodingKey) -> [RasterPiece]? { state.withLock { $0.encodings[key] } }
    func psnr(_ key: EncodingKey) -> Double? { state.withLock { $0.psnr[key] } }

    /// The PSNR of `right` against `left` once a side-by-side picture of the two was encoded (any size).
    func psnr(of left: UUID, against right: UUID) -> Double? {
        state.withLock { state in state.psnr.first { $0.key.jobID == left && $0.key.compareWith == right }?.value }
    }

    /// Encodes for the terminal off the UI thread; `done` runs when the bytes are ready.
    func encode(_ key: EncodingKey, mode: GraphicsMode, capabilities: TerminalCapabilities, done: @escaping @Sendable () -> Void) {
        let start = state.withLock { state -> Bool in
            guard state.encodings[key] == nil, !state.encoding.contains(key) else { return false }
            state.encoding.insert(key)
            return true
        }
        guard start, let first = frames(key.jobID), !first.images.isEmpty else {
            state.withLock { _ = $0.encoding.remove(key) }
            return
        }
        let second = key.compareWith.flatMap { frames($0) }
        Task.detached { [self] in
            let image = first.images[key.frame % first.images.count]
            var bytes: [RasterPiece] = []
            var psnr: Double? = nil
            if let other = second?.images.first {
                let resized = ImageFitting.resize(other, width: image.width, height: image.height)
                psnr = ImageFitting.psnr(image, resized)
                let halfColumns = max(1, (key.columns - 1) / 2)
                bytes = Self.encode(image, columns: halfColumns, rows: key.rows, originColumn: 0, mode: mode, capabilities: capabilities)
                bytes += Self.encode(
                    other, columns: halfColumns, rows: key.rows, originColumn: halfColumns + 1, mode: mode, capabilities: capabilities)
            } else {
                bytes = Self.encode(image, columns: key.columns, rows: key.rows, originColumn: 0, mode: mode, capabilities: capabilities)
            }
            state.withLock { state in
                state.encodings[key] = bytes
                state.psnr[key] = psnr
                state.encoding.remove(key)
                if state.encodings.count > 64 { state.encodings.removeAll() }
            }
            done()
        }
    }

    /// The pieces that draw `image` in a `columns`×`rows` cell box, positioned relative to the box.
    static func encode(
        _ image: RGBImage, columns: Int, rows: Int, originColumn: Int, mode: GraphicsMode, capabilities: TerminalCapabilities
    ) -> [RasterPiece] {
        switch mode {
        case .sixel:
            let cellWidth = capabilities.cellWidth ?? 10
            let cellHeight = capabilities.cellHeight ?? 20
            var boxWidth = columns * cellWidth
            // Sixel rows come in bands of 6 pixels: stay inside the box so nothing scrolls.
            var boxHeight = (rows * cellHeight) / 6 * 6
            if let maxWidth = capabilities.maxSixelWidth { boxWidth = min(boxWidth, maxWidth) }
            if let maxHeight = capabilities.maxSixelHeight { boxHeight = min(boxHeight, maxHeight / 6 * 6) }
            let size = ImageFitting.fittedSize(imageWidth: image.width, imageHeight: image.height, boxWidth: boxWidth, boxHeight: boxHeight)
            guard let sixel = try? SixelEncoder.encode(ImageFitting.resize(image, width: size.width, height: size.height)) else {
                return []
            }
            return [RasterPiece(row: 0, column: originColumn, bytes: sixel)]
        case .blocks, .auto:
            return HalfBlocks.render(image, columns: columns, rows: rows).enumerated().map { index, line in
                var out = ""
                for cell in line { out += TerminalColors.halfBlock(cell, truecolor: capabilities.truecolor) }
                return RasterPiece(row: index, column: originColumn, bytes: Array((out + "\u{1B}[0m").utf8))
            }
        case .none:
            return []
        }
    }
}

/// Bytes to write at a cell offset inside the preview box.
struct RasterPiece: Sendable, Equatable {
    var row: Int
    var column: Int
    var bytes: [UInt8]
}
