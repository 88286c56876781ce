/// What a curses mouse report means to the workbench. A press and its release arrive as two
/// reports; only the press counts, so one physical click is one click.
enum MouseGesture: Equatable {
    case click(column: Int, row: Int)
    case wheel(up: Bool)

    // ncurses `mmask_t` bits (mouse version 2): five per button, button n shifted by (n − 1)·5.
    static let released: UInt = 0o1
    static let pressed: UInt = 0o2
    static let clicked: UInt = 0o4
    static let doubleClicked: UInt = 0o10
    static let tripleClicked: UInt = 0o20

    static func buttonBits(_ button: Int, _ event: UInt) -> UInt { event << UInt((button - 1) * 5) }

    /// The gesture in one report; nil for releases and buttons the workbench does not use.
    /// (`clicked` only comes when curses pairs press and release itself, and then instead of them.)
    init?(buttonState: UInt, column: Int, row: Int) {
        if buttonState & Self.buttonBits(4, Self.pressed) != 0 {
            self = .wheel(up: true)
        } else if buttonState & Self.buttonBits(5, Self.pressed) != 0 {
            self = .wheel(up: false)
        } else if buttonState & (Self.pressed | Self.clicked | Self.doubleClicked | Self.tripleClicked) != 0 {
            self = .click(column: column, row: row)
        } else {
            return nil
        }
    }

    var action: Action {
        switch self {
        case .click(let column, let row): .click(column: column, row: row)
        case .wheel(let up): .scroll(up: up)
        }
    }
}
