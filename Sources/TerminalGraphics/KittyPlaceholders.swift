/// kitty's Unicode placeholders: the image is a virtual placement (`U=1`) drawn wherever the text
/// contains U+10EEEE cells naming it. Because the picture lives in ordinary text, tmux moves,
/// clips and redraws it with the pane — splits, window switches, detach and attach.
public enum KittyPlaceholders {
    public static let placeholder: Unicode.Scalar = "\u{10EEEE}"

    /// The most rows or columns the diacritics can number.
    public static var maxCells: Int { KittyDiacritics.codePoints.count }

    /// Creates the virtual placement of image `id` over `columns`×`rows` cells. Inside tmux this
    /// command needs `TmuxPassthrough`; the grid text does not.
    public static func virtualPlacement(id: UInt32, columns: Int, rows: Int) throws(KittyGraphicsError) -> [UInt8] {
        try checkGrid(id: id, columns: columns, rows: rows)
        return KittyGraphics.command("a=p,U=1,i=\(id),c=\(columns),r=\(rows),q=2")
    }

    /// One string per row: the id's low 24 bits as the foreground colour, then per cell the
    /// placeholder, its row and column diacritics and, for ids above 24 bits, the id's high byte.
    /// Every cell is spelled out, so a cell tmux redraws alone still says where it belongs.
    public static func grid(id: UInt32, columns: Int, rows: Int) throws(KittyGraphicsError) -> [String] {
        try checkGrid(id: id, columns: columns, rows: rows)
        let colour = "\u{1B}[38;2;\((id >> 16) & 0xFF);\((id >> 8) & 0xFF);\(id & 0xFF)m"
        let highByte = id >> 24 == 0 ? "" : String(diacritic(Int(id >> 24)))
        return (0..<rows).map { row in
            let cells = (0..<columns).map { column in
                String(placeholder) + String(diacritic(row)) + String(diacritic(column)) + highByte
            }
            return colour + cells.joined() + "\u{1B}[39m"
        }
    }

    static func diacritic(_ index: Int) -> Character {
        // Every table entry is a valid scalar, checked by the tests.
        Character(Unicode.Scalar(KittyDiacritics.codePoints[index])!)
    }

    private static func checkGrid(id: UInt32, columns: Int, rows: Int) throws(KittyGraphicsError) {
        guard id != 0 else { throw .reservedImageID }
        guard columns > 0, rows > 0 else { throw .emptyArea(columns: columns, rows: rows) }
        guard columns <= maxCells, rows <= maxCells else {
            throw .gridTooLarge(columns: columns, rows: rows, limit: maxCells)
        }
    }
}
