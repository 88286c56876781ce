/// Colours as the terminal at hand can show them. The preview's half blocks, the inspect thumbnail
/// and the theme all go through here, so a picture has the same colours wherever it is drawn.
public enum TerminalColors {
    /// xterm's default first sixteen colours, what 8- and 16-colour terminals (TERM=xterm) have.
    public static let ansi: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0), RGB(0, 0, 238), RGB(205, 0, 205), RGB(0, 205, 205),
        RGB(229, 229, 229), RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0), RGB(255, 255, 0), RGB(92, 92, 255),
        RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]

    /// The palette index nearest to `color` among `paletteSize` colours: xterm's 256-colour cube and
    /// grey ramp when there are 256 or more, else the nearest of the first 16 (or 8).
    public static func index(_ color: RGB, paletteSize: Int) -> Int {
        if paletteSize >= 256 { return color.palette256 }
        let candidates = ansi.prefix(max(1, min(paletteSize, 16)))
        func distance(_ other: RGB) -> Int {
            let (dr, dg, db) = (Int(other.r) - Int(color.r), Int(other.g) - Int(color.g), Int(other.b) - Int(color.b))
            return dr * dr + dg * dg + db * db
        }
        return candidates.indices.min { distance(candidates[$0]) < distance(candidates[$1]) } ?? 0
    }

    /// The escape sequence that colours one `▀`: top pixel as foreground, bottom as background;
    /// 24-bit where the terminal has it, else the nearest of the 256 colours.
    public static func halfBlock(_ cell: HalfBlockCell, truecolor: Bool) -> String {
        if truecolor {
            return "\u{1B}[38;2;\(cell.top.r);\(cell.top.g);\(cell.top.b);48;2;\(cell.bottom.r);\(cell.bottom.g);\(cell.bottom.b)m▀"
        }
        return "\u{1B}[38;5;\(index(cell.top, paletteSize: 256));48;5;\(index(cell.bottom, paletteSize: 256))m▀"
    }
}
