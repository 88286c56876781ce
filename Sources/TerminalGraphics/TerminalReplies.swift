/// One complete control sequence a terminal sent back.
public enum TerminalReply: Sendable, Equatable {
    /// `ESC [ marker? numbers final`: DA1 (`?…c`), XTSMGRAPHICS (`?…S`), `CSI 6;h;w t`.
    case csi(marker: UInt8?, parameters: [Int], final: UInt8)
    /// `ESC P body ESC \`: XTVERSION answers `>|name(version)`.
    case dcs(String)
    /// `ESC _ body ESC \`: the kitty graphics protocol answers `Gi=31;OK`.
    case apc(String)
}

/// Parsers for what terminals answer to capability queries. Pure functions over bytes, so every
/// terminal's quirks can be tested without one.
public enum TerminalReplies {
    /// Every complete reply in `bytes`, in order. Anything else — keys typed while the probe ran,
    /// OSC strings, a sequence cut short by the end of the read — is skipped, so a reply is never
    /// invented from a fragment.
    public static func sequences(in bytes: [UInt8]) -> [TerminalReply] {
        var replies: [TerminalReply] = []
        var index = 0
        while index + 1 < bytes.count {
            guard bytes[index] == 0x1B else {
                index += 1
                continue
            }
            switch bytes[index + 1] {
            case UInt8(ascii: "["):
                guard let (reply, end) = csi(in: bytes, from: index + 2) else { return replies }
                if let reply { replies.append(reply) }
                index = end
            case UInt8(ascii: "P"), UInt8(ascii: "_"), UInt8(ascii: "]"):
                let kind = bytes[index + 1]
                guard let (body, end) = string(in: bytes, from: index + 2) else { return replies }
                if kind == UInt8(ascii: "P") { replies.append(.dcs(body)) }
                if kind == UInt8(ascii: "_") { replies.append(.apc(body)) }
                index = end
            default:
                index += 1
            }
        }
        return replies
    }

    /// DA1 (`CSI c`) reply `ESC [ ? 6 2 ; 4 ; 2 2 c` → `[62, 4, 22]`; the last one in `bytes`, nil when
    /// no complete reply is there.
    public static func primaryAttributes(in bytes: [UInt8]) -> [Int]? {
        sequences(in: bytes).compactMap(primaryAttributes).last
    }

    static func primaryAttributes(_ reply: TerminalReply) -> [Int]? {
        guard case .csi(UInt8(ascii: "?"), let parameters, UInt8(ascii: "c")) = reply else { return nil }
        return parameters
    }

    /// The cursor position report (`CSI 6 n` → `ESC [ row ; column R`, 1-based), 0-based; the last
    /// one in `bytes`. Inside tmux it is the pane's cursor, counted from the pane's top-left.
    public static func cursorPosition(in bytes: [UInt8]) -> CellPosition? {
        sequences(in: bytes).compactMap { reply -> CellPosition? in
            guard case .csi(nil, let parameters, UInt8(ascii: "R")) = reply, parameters.count == 2, parameters.allSatisfy({ $0 >= 1 })
            else { return nil }
            return CellPosition(row: parameters[0] - 1, column: parameters[1] - 1)
        }.last
    }

    /// Sixel is attribute 4 of the DA1 reply.
    public static func supportsSixel(attributes: [Int]) -> Bool { attributes.dropFirst().contains(4) }

    /// XTSMGRAPHICS reply for sixel geometry, `CSI ? 2 ; 0 ; W ; H S` → (W, H); status 0 means success.
    public static func sixelGeometry(in bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard let size = sequences(in: bytes).compactMap(sixelGeometry).last else { return nil }
        return (size.width, size.height)
    }

    static func sixelGeometry(_ reply: TerminalReply) -> PixelSize? {
        guard case .csi(UInt8(ascii: "?"), let parameters, UInt8(ascii: "S")) = reply, parameters.count >= 4,
            parameters[0] == 2, parameters[1] == 0, parameters[2] > 0, parameters[3] > 0
        else { return nil }
        return PixelSize(width: parameters[2], height: parameters[3])
    }

    /// `CSI 16 t` reply `CSI 6 ; height ; width t` → cell size in pixels.
    public static func cellSize(in bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard let size = sequences(in: bytes).compactMap(cellSize).last else { return nil }
        return (size.width, size.height)
    }

    static func cellSize(_ reply: TerminalReply) -> PixelSize? {
        guard case .csi(nil, let parameters, UInt8(ascii: "t")) = reply, parameters.count == 3, parameters[0] == 6,
            parameters[1] > 0, parameters[2] > 0
        else { return nil }
        return PixelSize(width: parameters[2], height: parameters[1])
    }

    /// XTVERSION (`CSI > q`) reply `ESC P > | kitty(0.26.5) ESC \` → `kitty(0.26.5)`; the first one in
    /// `bytes` (inside tmux the first is tmux's own, the second the outer terminal's).
    public static func terminalVersion(in bytes: [UInt8]) -> String? {
        sequences(in: bytes).compactMap(terminalVersion).first
    }

    static func terminalVersion(_ reply: TerminalReply) -> String? {
        guard case .dcs(let body) = reply, body.hasPrefix(">|") else { return nil }
        return String(body.dropFirst(2))
    }

    /// `numbers final` after `ESC [`: the reply (nil for one that is not numeric, such as a key with
    /// intermediates) and the index after it; nil when the sequence is not complete.
    private static func csi(in bytes: [UInt8], from start: Int) -> (TerminalReply?, Int)? {
        var index = start
        var marker: UInt8?
        if index < bytes.count, (0x3C...0x3F).contains(bytes[index]) {
            marker = bytes[index]
            index += 1
        }
        let bodyStart = index
        while index < bytes.count, (0x20...0x3F).contains(bytes[index]) { index += 1 }
        guard index < bytes.count else { return nil }
        let final = bytes[index]
        guard (0x40...0x7E).contains(final) else { return (nil, index) }
        let body = bytes[bodyStart..<index]
        guard body.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ";") }) else { return (nil, index + 1) }
        let parameters =
            body.isEmpty
            ? []
            : body.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false).map {
                Int(String(decoding: $0, as: UTF8.self)) ?? 0
            }
        return (.csi(marker: marker, parameters: parameters, final: final), index + 1)
    }

    /// A string sequence's body up to `ESC \` (or BEL, which OSC replies may end with) and the index
    /// after the terminator; nil when the terminator has not arrived.
    private static func string(in bytes: [UInt8], from start: Int) -> (String, Int)? {
        var index = start
        while index < bytes.count {
            if bytes[index] == 0x07 { return (String(decoding: bytes[start..<index], as: UTF8.self), index + 1) }
            if bytes[index] == 0x1B, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\\") {
                return (String(decoding: bytes[start..<index], as: UTF8.self), index + 2)
            }
            index += 1
        }
        return nil
    }
}
