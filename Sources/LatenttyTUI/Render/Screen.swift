import CNcursesw
import Foundation
import Glibc

/// The curses screen: set-up, colours, text output and input. Every method must be called from the
/// one UI thread; nothing else in latentty touches curses.
final class Screen {
    private(set) var columns = 80
    private(set) var rows = 24
    private var pairs: [Int32: Int32] = [:]
    private var nextPair: Int32 = 1
    let colorful: Bool

    // curses attribute bits (the C macros do not import into Swift).
    static let bold: Int32 = 1 << 21
    static let reverse: Int32 = 1 << 18
    static let dim: Int32 = 1 << 20
    static let underline: Int32 = 1 << 17

    private let window: UnsafeMutablePointer<WINDOW>

    /// Nil when there is no terminal to draw on.
    init?(useColor: Bool) {
        setlocale(LC_ALL, "")
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1, let window = initscr() else { return nil }
        self.window = window
        cbreak()
        Self.deliverInterruptAsKey()
        noecho()
        nonl()
        keypad(window, true)
        curs_set(0)
        wtimeout(window, 33)
        // Clicks and the wheel; no motion reports (they would flood the loop).
        mousemask(mmask_t(0x1F | (0x1F << 5) | (0x1F << 15) | (0x1F << 20)), nil)
        mouseinterval(0)
        colorful = useColor && has_colors()
        if colorful {
            start_color()
            use_default_colors()
        }
        refreshSize()
    }

    /// ^C reaches the workbench as a key, so quitting goes through the same confirmation as `q`
    /// (cbreak alone would let the terminal turn it into SIGINT and end the process on the spot).
    /// Only the interrupt character is disabled: ^Z still suspends.
    private static func deliverInterruptAsKey() {
        var settings = termios()
        guard tcgetattr(STDIN_FILENO, &settings) == 0 else { return }
        withUnsafeMutableBytes(of: &settings.c_cc) { $0[Int(VINTR)] = 0 }  // _POSIX_VDISABLE on Linux
        tcsetattr(STDIN_FILENO, TCSANOW, &settings)
        // curses restores this "program mode" after endwin/refresh cycles (suspend, resize).
        def_prog_mode()
    }

    func shutdown() {
        endwin()
    }

    func refreshSize() {
        columns = Int(getmaxx(window))
        rows = Int(getmaxy(window))
    }

    /// A colour pair for (foreground, background) palette indexes, -1 meaning the terminal default.
    func pair(_ foreground: Int32, _ background: Int32) -> Int32 {
        guard colorful else { return 0 }
        let key = (foreground + 1) * 1024 + (background + 1)
        if let existing = pairs[key] { return existing }
        guard nextPair < min(latentty_color_pairs(), 32_000) else { return 0 }
        let number = nextPair
        nextPair += 1
        init_pair(Int16(number), Int16(foreground), Int16(background))
        pairs[key] = number
        return number
    }

    var paletteSize: Int { colorful ? Int(latentty_colors()) : 0 }

    func draw(_ text: String, x: Int, y: Int, width: Int, pair: Int32 = 0, attributes: Int32 = 0) {
        guard y >= 0, y < rows, x >= 0, x < columns, width > 0 else { return }
        let fitted = CellText.truncated(text, to: min(width, columns - x))
        let value = attributes | (pair << 8)
        wattron(window, value)
        mvwaddstr(window, Int32(y), Int32(x), fitted)
        wattroff(window, value)
    }

    func fill(_ rect: Rect, pair: Int32 = 0) {
        let blank = String(repeating: " ", count: max(0, rect.width))
        for row in rect.y..<(rect.y + rect.height) { draw(blank, x: rect.x, y: row, width: rect.width, pair: pair) }
    }

    func box(_ rect: Rect, title: String, pair: Int32, titlePair: Int32, focused: Bool) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let horizontal = String(repeating: focused ? "━" : "─", count: rect.width - 2)
        let (tl, tr, bl, br, v) = focused ? ("┏", "┓", "┗", "┛", "┃") : ("┌", "┐", "└", "┘", "│")
        draw(tl + horizontal + tr, x: rect.x, y: rect.y, width: rect.width, pair: pair)
        for row in (rect.y + 1)..<(rect.y + rect.height - 1) {
            draw(v, x: rect.x, y: row, width: 1, pair: pair)
            draw(v, x: rect.x + rect.width - 1, y: row, width: 1, pair: pair)
        }
        draw(bl + horizontal + br, x: rect.x, y: rect.y + rect.height - 1, width: rect.width, pair: pair)
        draw(" \(title) ", x: rect.x + 2, y: rect.y, width: rect.width - 4, pair: titlePair, attributes: focused ? Screen.bold : 0)
    }

    func erase() { werase(window) }
    func stage() { wnoutrefresh(window) }
    func update() { doupdate() }

    /// Whether the terminal hung up. Usually SIGHUP ends the process first, but where it is ignored
    /// (`nohup`, a parent's mask) a closed terminal makes every read fail at once, and the loop would
    /// spin on it for ever.
    private static func terminalIsGone() -> Bool {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) >= 0 else { return false }
        return descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }
    func touchAll() { clearok(window, true) }

    /// Forces rows to be repainted: curses believes cells under an image are already blank.
    func repaint(rows range: Range<Int>) {
        guard !range.isEmpty else { return }
        wredrawln(window, Int32(range.lowerBound), Int32(range.count))
    }

    enum Input {
        case key(Key)
        case resize
        case mouse(column: Int, row: Int, wheelUp: Bool?)
        case none
        /// The terminal is gone (its pseudo-terminal closed): there is no one left to draw for.
        case hangup
    }

    func read() -> Input {
        var character: wint_t = 0
        let status = wget_wch(window, &character)
        if status == ERR { return Self.terminalIsGone() ? .hangup : .none }
        if status == KEY_CODE_YES {
            switch Int32(character) {
            case KEY_RESIZE:
                refreshSize()
                return .resize
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_ENTER: return .key(.enter)
            case KEY_BTAB: return .key(.backTab)
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_DC: return .key(.delete)
            case KEY_MOUSE:
                var event = MEVENT()
                guard getmouse(&event) == OK else { return .none }
                switch MouseGesture(buttonState: UInt(event.bstate), column: Int(event.x), row: Int(event.y)) {
                case .click(let column, let row): return .mouse(column: column, row: row, wheelUp: nil)
                case .wheel(let up): return .mouse(column: Int(event.x), row: Int(event.y), wheelUp: up)
                case nil: return .none
                }
            default:
                let code = Int32(character)
                if code >= KEY_F0 + 1, code <= KEY_F0 + 12 { return .key(.function(Int(code - KEY_F0))) }
                return .none
            }
        }
        switch character {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 127, 8: return .key(.backspace)
        case 1...26: return .key(.control(Character(Unicode.Scalar(UInt8(character) + 96))))
        default:
            guard let scalar = Unicode.Scalar(UInt32(character)) else { return .none }
            return .key(.character(Character(scalar)))
        }
    }
}
