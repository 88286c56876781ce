/// A size in pixels: a character cell, or the largest sixel image a terminal takes.
public struct PixelSize: Sendable, Equatable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    public var description: String { "\(width)×\(height)" }
}

/// What one terminal answered to the probe's batch (XTVERSION, the kitty query, XTSMGRAPHICS,
/// `CSI 16 t`, DA1). Inside tmux there are two: tmux's own answers, and the outer terminal's to the
/// passthrough-wrapped queries (`TmuxInfo.outerReplies`).
public struct ProbeReplies: Sendable, Equatable {
    /// XTVERSION: `kitty(0.26.5)`, `XTerm(379)`, `tmux 3.3a`; nil when the terminal does not answer it.
    public var terminalVersion: String?
    /// The kitty query came back `OK`.
    public var kittyGraphics: Bool
    /// DA1's attributes; nil when DA1's reply never came, so the other silences mean nothing.
    public var primaryAttributes: [Int]?
    /// XTSMGRAPHICS: the largest sixel image, when the terminal says.
    public var sixelGeometry: PixelSize?
    /// `CSI 16 t`: the cell size in pixels.
    public var cellSize: PixelSize?

    public init(
        terminalVersion: String? = nil, kittyGraphics: Bool = false, primaryAttributes: [Int]? = nil,
        sixelGeometry: PixelSize? = nil, cellSize: PixelSize? = nil
    ) {
        self.terminalVersion = terminalVersion
        self.kittyGraphics = kittyGraphics
        self.primaryAttributes = primaryAttributes
        self.sixelGeometry = sixelGeometry
        self.cellSize = cellSize
    }

    /// DA1 arrived: every query before it was seen, so a missing answer means "not supported".
    public var answered: Bool { primaryAttributes != nil }

    /// Sixel by DA1 attribute 4 or a successful XTSMGRAPHICS answer.
    public var sixel: Bool {
        sixelGeometry != nil || primaryAttributes.map(TerminalReplies.supportsSixel(attributes:)) == true
    }

    public init(_ replies: some Sequence<TerminalReply>) {
        self.init()
        for reply in replies {
            if terminalVersion == nil, let version = TerminalReplies.terminalVersion(reply) { terminalVersion = version }
            if KittyQuery.isSupportedReply(reply) { kittyGraphics = true }
            if let attributes = TerminalReplies.primaryAttributes(reply) { primaryAttributes = attributes }
            if let geometry = TerminalReplies.sixelGeometry(reply) { sixelGeometry = geometry }
            if let cell = TerminalReplies.cellSize(reply) { cellSize = cell }
        }
    }

    public static func parse(_ bytes: [UInt8]) -> ProbeReplies { ProbeReplies(TerminalReplies.sequences(in: bytes)) }

    /// Inside tmux the plain queries are answered by tmux at once, while the wrapped ones make a
    /// round trip to the outer terminal, so everything up to tmux's DA1 reply is tmux's and
    /// everything after it the outer terminal's (nil when nothing came back through passthrough).
    public static func parseThroughTmux(_ bytes: [UInt8]) -> (tmux: ProbeReplies, outer: ProbeReplies?) {
        let replies = TerminalReplies.sequences(in: bytes)
        guard let split = replies.firstIndex(where: { TerminalReplies.primaryAttributes($0) != nil }) else {
            return (ProbeReplies(replies), nil)
        }
        let outer = replies[(split + 1)...]
        return (ProbeReplies(replies[...split]), outer.isEmpty ? nil : ProbeReplies(outer))
    }
}
