import TerminalGraphics

/// Theme colours resolved to curses colour pairs for the terminal at hand.
struct Palette {
    let normal: Int32
    let title: Int32
    let border: Int32
    let focusBorder: Int32
    let selected: Int32
    let inactive: Int32
    let status: Int32
    let key: Int32
    let ok: Int32
    let warning: Int32
    let error: Int32
    let progress: Int32

    init(theme: Theme, screen: Screen) {
        func index(_ role: Theme.Role) -> Int32 {
            guard let color = theme.colors[role] else { return -1 }
            return Int32(TerminalColors.index(RGB(color.r, color.g, color.b), paletteSize: screen.paletteSize))
        }
        let background = index(.mainBackground)
        func pair(_ role: Theme.Role, on back: Int32? = nil) -> Int32 { screen.pair(index(role), back ?? background) }
        normal = pair(.mainForeground)
        title = pair(.title)
        border = pair(.border)
        focusBorder = pair(.focusBorder)
        selected = screen.pair(index(.selectedForeground), index(.selectedBackground))
        inactive = pair(.inactive)
        status = screen.pair(index(.statusForeground), index(.statusBackground))
        key = screen.pair(index(.key), index(.statusBackground))
        ok = pair(.ok)
        warning = pair(.warning)
        error = pair(.error)
        progress = pair(.progress)
    }
}
