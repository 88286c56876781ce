import Foundation
import Glibc

/// What the terminal can show, learned once at start and re-read on resize.
public struct TerminalCapabilities: Sendable, Equatable {
    public var sixel: Bool
    /// Pixels per character cell; nil when the terminal will not say.
    public var cellWidth: Int?
    public var cellHeight: Int?
    /// The largest sixel image the terminal accepts, when it says.
    public var maxSixelWidth: Int?
    public var maxSixelHeight: Int?
    public var truecolor: Bool

    public init(
        sixel: Bool = false, cellWidth: Int? = nil, cellHeight: Int? = nil, maxSixelWidth: Int? = nil, maxSixelHeight: Int? = nil,
        truecolor: Bool = false
    ) {
        self.sixel = sixel
        self.cellWidth = cellWidth
        self.cellHeight = cellHeight
        self.maxSixelWidth = maxSixelWidth
        self.maxSixelHeight = maxSixelHeight
        self.truecolor = truecolor
    }

    /// Truecolor from `COLORTERM`, as terminals advertise it.
    public static func truecolor(environment: [String: String]) -> Bool {
        let value = environment["COLORTERM"]?.lowercased() ?? ""
        return value == "truecolor" || value == "24bit"
    }
}

/// Asks the terminal about itself: XTSMGRAPHICS for sixel geometry, `CSI 16 t` for the cell size,
/// then DA1 as the sentinel — every terminal answers DA1, so when its reply is in, so are the
/// others. Never waits longer than `timeout`.
public enum TerminalProbe {
    public static func probe(
        input: Int32, output: Int32, timeout: Double = 0.25, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> TerminalCapabilities {
        var capabilities = TerminalCapabilities(truecolor: TerminalCapabilities.truecolor(environment: environment))
        if let (width, height) = windowCellSize(output) {
            capabilities.cellWidth = width
            capabilities.cellHeight = height
        }
        let query = "\u{1B}[?2;1;0S" + "\u{1B}[16t" + "\u{1B}[c"
        guard let reply = exchange(query, input: input, output: output, timeout: timeout) else { return capabilities }
        if let attributes = TerminalReplies.primaryAttributes(in: reply) {
            capabilities.sixel = TerminalReplies.supportsSixel(attributes: attributes)
        }
        if let geometry = TerminalReplies.sixelGeometry(in: reply) {
            capabilities.sixel = true
            capabilities.maxSixelWidth = geometry.width
            capabilities.maxSixelHeight = geometry.height
        }
        if capabilities.cellWidth == nil, let cell = TerminalReplies.cellSize(in: reply) {
            capabilities.cellWidth = cell.width
            capabilities.cellHeight = cell.height
        }
        return capabilities
    }

    /// `TIOCGWINSZ` pixel sizes, trusted only when they are plausible (some terminals report zeros
    /// or the character count).
    public static func windowCellSize(_ fd: Int32) -> (Int, Int)? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        let (columns, rows) = (Int(size.ws_col), Int(size.ws_row))
        let (width, height) = (Int(size.ws_xpixel), Int(size.ws_ypixel))
        guard width >= 2 * columns, height >= 2 * rows else { return nil }
        return (width / columns, height / rows)
    }

    /// Writes `query` and reads until a DA1 reply arrives or `timeout` passes; the terminal is put in
    /// raw mode meanwhile so the replies are not echoed.
    static func exchange(_ query: String, input: Int32, output: Int32, timeout: Double) -> [UInt8]? {
        guard isatty(input) == 1 else { return nil }
        var saved = termios()
        guard tcgetattr(input, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        tcsetattr(input, TCSANOW, &raw)
        defer { tcsetattr(input, TCSANOW, &saved) }
        let bytes = Array(query.utf8)
        guard write(output, bytes, bytes.count) == bytes.count else { return nil }
        var reply: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 256)
        while TerminalReplies.primaryAttributes(in: reply) == nil {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { break }
            var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(remaining * 1000)) > 0 else { break }
            let count = read(input, &buffer, buffer.count)
            if count <= 0 { break }
            reply += buffer[0..<count]
        }
        return reply
    }
}
