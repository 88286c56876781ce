/// The ways a picture can reach a terminal, best first.
public enum GraphicsProtocol: String, Sendable, CaseIterable, Codable {
    /// The kitty graphics protocol (kitty, Ghostty, WezTerm, Konsole): pixels sent once per image id.
    case kitty
    /// iTerm2's inline images (iTerm2, WezTerm, mintty, VS Code): the whole PNG on every draw.
    case iterm2
    /// DEC sixel through libsixel (xterm -ti vt340, mlterm, foot, Windows Terminal, tmux ≥ 3.4).
    case sixel
    /// `▀` cells in truecolor or 256 colours: works everywhere text does.
    case blocks
    /// No pictures; captions only.
    case none
}

/// How pictures are drawn in this terminal: the protocol, how its bytes travel (straight, or
/// wrapped for tmux's passthrough), and the geometry the encoders fit images into.
public struct GraphicsTarget: Sendable, Equatable {
    public var graphics: GraphicsProtocol
    /// kitty only: the picture is a virtual placement drawn by U+10EEEE text cells, so tmux (which
    /// knows nothing of images) moves, clips and redraws it with the pane.
    public var placeholders: Bool
    /// Graphics escapes go through `ESC P tmux; … ESC \` to the terminal outside tmux.
    public var tmuxPassthrough: Bool
    /// Pixels per character cell.
    public var cellWidth: Int
    public var cellHeight: Int
    /// The largest sixel image the terminal accepts, when it says.
    public var maxSixelWidth: Int?
    public var maxSixelHeight: Int?
    /// 24-bit colour for half blocks (else xterm's 256 colours).
    public var truecolor: Bool
    /// Through tmux's passthrough: where the pane's top-left cell is on the outer terminal. tmux
    /// forwards wrapped bytes wherever it last left the outer cursor, not at the pane's cursor, so
    /// positioned pictures are moved there themselves. nil outside tmux, or when tmux did not say.
    public var paneOrigin: CellPosition?

    /// What terminals commonly use when they do not report a cell size.
    public static let defaultCellWidth = 10
    public static let defaultCellHeight = 20

    public init(
        graphics: GraphicsProtocol, placeholders: Bool = false, tmuxPassthrough: Bool = false,
        cellWidth: Int = GraphicsTarget.defaultCellWidth, cellHeight: Int = GraphicsTarget.defaultCellHeight,
        maxSixelWidth: Int? = nil, maxSixelHeight: Int? = nil, truecolor: Bool = false, paneOrigin: CellPosition? = nil
    ) {
        self.graphics = graphics
        self.placeholders = placeholders
        self.tmuxPassthrough = tmuxPassthrough
        self.cellWidth = max(1, cellWidth)
        self.cellHeight = max(1, cellHeight)
        self.maxSixelWidth = maxSixelWidth
        self.maxSixelHeight = maxSixelHeight
        self.truecolor = truecolor
        self.paneOrigin = paneOrigin
    }

    /// Whether pictures are pixels (kitty, iTerm2, sixel), fine enough for a picture one cell tall.
    public var drawsPixels: Bool { graphics == .kitty || graphics == .iterm2 || graphics == .sixel }

    /// A short human name: "kitty (Unicode placeholders through tmux)", "sixel", ….
    public var summary: String {
        var words = graphics.rawValue
        if placeholders { words += " (Unicode placeholders)" }
        if tmuxPassthrough { words += " through tmux passthrough" }
        if graphics == .blocks { words += truecolor ? " (24-bit colour)" : " (256 colours)" }
        return words
    }
}

/// A character cell, 0-based from the top-left of the screen or pane it is counted in.
public struct CellPosition: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var row: Int
    public var column: Int

    public init(row: Int, column: Int) {
        self.row = row
        self.column = column
    }

    public static func + (lhs: CellPosition, rhs: CellPosition) -> CellPosition {
        CellPosition(row: lhs.row + rhs.row, column: lhs.column + rhs.column)
    }

    /// 1-based, as `CSI row ; column H` and the cursor report spell it.
    public var description: String { "row \(row + 1), column \(column + 1)" }
}
