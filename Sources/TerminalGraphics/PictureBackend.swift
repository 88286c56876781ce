import ImageCodecs

/// One way of drawing pictures in a terminal. `encode` is pure (any thread); `place` and `erase`
/// make the bytes the single owner of the terminal writes — `PictureCanvas` adds the uploads.
public protocol PictureBackend: Sendable {
    var target: GraphicsTarget { get }
    /// Fits `image` into `columns`×`rows` cells, aspect ratio kept.
    func encode(_ image: RGBImage, columns: Int, rows: Int) throws(PictureError) -> TerminalPicture
    /// Removes `picture` from the screen. kitty deletes its placement and keeps the pixels for the
    /// next `place`; the others are drawn into cells, so this is empty and the caller repaints
    /// those cells (`livesInCells`).
    func erase(_ picture: TerminalPicture) -> [UInt8]
    /// Whether the picture is part of the cells' content, gone once text is drawn over them.
    var livesInCells: Bool { get }
    /// Whether the pieces are text (half blocks, kitty placeholders) that can be printed line by
    /// line, scrolling with the shell, instead of positioned over reserved rows.
    var drawsText: Bool { get }
}

extension PictureBackend {
    public var livesInCells: Bool { true }
    public var drawsText: Bool { false }
    public func erase(_ picture: TerminalPicture) -> [UInt8] { [] }

    /// Bytes that draw `picture`'s pieces with its top-left cell at 0-based (`row`, `column`); the
    /// cursor is saved and restored around them so curses' idea of it stays true.
    public func place(_ picture: TerminalPicture, row: Int, column: Int) -> [UInt8] {
        var bytes: [UInt8] = [0x1B, 0x37]
        for piece in picture.pieces {
            let cell = CellPosition(row: row + piece.row, column: column + piece.column)
            bytes += Array("\u{1B}[\(cell.row + 1);\(cell.column + 1)H".utf8) + delivered(piece: piece.bytes, at: cell)
        }
        return bytes + [0x1B, 0x38]
    }

    /// Whether the pieces are escapes for the terminal outside tmux, wrapped when they are placed
    /// (text pieces are for tmux itself, which stores and draws them).
    public var piecesPassThroughTmux: Bool { target.tmuxPassthrough && !drawsText }

    /// A piece's bytes for the pane cell `cell`, where the pane's cursor already is. Through tmux's
    /// passthrough they would land wherever tmux last left the outer terminal's cursor, so, inside
    /// the wrap where tmux never sees it, the outer cursor is saved, moved to the cell's place on
    /// the outer terminal (`paneOrigin` + `cell`), and restored after. Without a pane origin or a
    /// cell the bytes go wrapped alone, at the mercy of tmux's cursor.
    func delivered(piece: [UInt8], at cell: CellPosition?) -> [UInt8] {
        guard piecesPassThroughTmux else { return piece }
        guard let origin = target.paneOrigin, let cell else { return TmuxPassthrough.wrap(piece) }
        let outer = origin + cell
        return TmuxPassthrough.wrap([0x1B, 0x37] + Array("\u{1B}[\(outer.row + 1);\(outer.column + 1)H".utf8) + piece + [0x1B, 0x38])
    }

    /// `bytes` as they must travel to reach the terminal: wrapped for tmux's passthrough when set.
    func delivered(_ bytes: [UInt8]) -> [UInt8] { target.tmuxPassthrough ? TmuxPassthrough.wrap(bytes) : bytes }
}

/// The backend for a target.
public enum PictureBackends {
    public static func backend(for target: GraphicsTarget) -> any PictureBackend {
        switch target.graphics {
        case .kitty: target.placeholders ? KittyPlaceholderBackend(target: target) : KittyBackend(target: target)
        case .iterm2: ITermBackend(target: target)
        case .sixel: SixelBackend(target: target)
        case .blocks: HalfBlockBackend(target: target)
        case .none: NoPictureBackend(target: target)
        }
    }
}

/// Scaling an image to the pixels of a cell box.
public struct FittedPicture: Sendable {
    public var image: RGBImage
    public var columns: Int
    public var rows: Int

    /// `image` scaled (never more than 4×) to fit `columns`×`rows` cells of `target`'s cell size,
    /// and the cells it then covers, rounded up. `pixelLimit` caps the box (sixel's maximum).
    public init(
        _ image: RGBImage, columns: Int, rows: Int, target: GraphicsTarget, pixelLimit: (width: Int?, height: Int?) = (nil, nil)
    ) throws(PictureError) {
        guard columns > 0, rows > 0 else { throw .emptyBox(columns: columns, rows: rows) }
        var boxWidth = columns * target.cellWidth
        var boxHeight = rows * target.cellHeight
        if let limit = pixelLimit.width { boxWidth = min(boxWidth, limit) }
        if let limit = pixelLimit.height { boxHeight = min(boxHeight, limit) }
        let size = ImageFitting.fittedSize(imageWidth: image.width, imageHeight: image.height, boxWidth: boxWidth, boxHeight: boxHeight)
        guard size.width > 0, size.height > 0 else { throw .emptyBox(columns: columns, rows: rows) }
        self.image = ImageFitting.resize(image, width: size.width, height: size.height)
        self.columns = min(columns, max(1, (size.width + target.cellWidth - 1) / target.cellWidth))
        self.rows = min(rows, max(1, (size.height + target.cellHeight - 1) / target.cellHeight))
    }
}

/// Terminal-side image ids: 24 bits (what placeholders can name through a colour), starting at a
/// random point so two latentty processes sharing a kitty window (tmux panes) do not collide.
public enum KittyImageIDs {
    private static let counter = AtomicCounter(start: UInt32.random(in: 0x1000...0x7F_FFFF))

    public static func next() -> UInt32 {
        let value = counter.next() & 0xFF_FFFF
        return value == 0 ? next() : value
    }
}
