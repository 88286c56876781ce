/// Parsers for what terminals answer to capability queries. Pure functions over bytes, so every
/// terminal's quirks can be tested without one.
public enum TerminalReplies {
    /// DA1 (`CSI c`) reply `ESC [ ? 6 2 ; 4 ; 2 2 c` → `[62, 4, 22]`; nil when no complete reply is in `bytes`.
    public static func primaryAttributes(in bytes: [UInt8]) -> [Int]? {
        guard let (parameters, _) = lastCSI(in: bytes, prefix: UInt8(ascii: "?"), final: UInt8(ascii: "c")) else { return nil }
        return parameters
    }

    /// Sixel is attribute 4 of the DA1 reply.
    public static func supportsSixel(attributes: [Int]) -> Bool { attributes.dropFirst().contains(4) }

    /// XTSMGRAPHICS reply for sixel geometry, `CSI ? 2 ; 0 ; W ; H S` → (W, H); status 0 means success.
    public static func sixelGeometry(in bytes: [UInt8]) -> (width: Int, height: Int)? {
        var search = bytes[...]
        while let (parameters, end) = lastCSI(in: Array(search), prefix: UInt8(ascii: "?"), final: UInt8(ascii: "S")) {
            if parameters.count >= 4, parameters[0] == 2, parameters[1] == 0 { return (parameters[2], parameters[3]) }
            search = search.prefix(max(0, end - 1))
            if search.isEmpty { break }
        }
        return nil
    }

    /// `CSI 16 t` reply `CSI 6 ; height ; width t` → cell size in pixels.
    public static func cellSize(in bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard let (parameters, _) = lastCSI(in: bytes, prefix: nil, final: UInt8(ascii: "t")),
            parameters.count == 3, parameters[0] == 6, parameters[1] > 0, parameters[2] > 0
        else { return nil }
        return (parameters[2], parameters[1])
    }

    /// The last `ESC [ prefix? digits;… final` sequence in `bytes`: its numbers and the index after it.
    static func lastCSI(in bytes: [UInt8], prefix: UInt8?, final: UInt8) -> ([Int], Int)? {
        var index = bytes.count - 1
        while index >= 0 {
            if bytes[index] == final, let parameters = parameters(endingAt: index, in: bytes, prefix: prefix) {
                return (parameters, index + 1)
            }
            index -= 1
        }
        return nil
    }

    private static func parameters(endingAt finalIndex: Int, in bytes: [UInt8], prefix: UInt8?) -> [Int]? {
        var start = finalIndex - 1
        while start >= 0, (bytes[start] >= 0x30 && bytes[start] <= 0x39) || bytes[start] == UInt8(ascii: ";") { start -= 1 }
        if let prefix {
            guard start >= 0, bytes[start] == prefix else { return nil }
            start -= 1
        }
        guard start >= 1, bytes[start] == UInt8(ascii: "["), bytes[start - 1] == 0x1B else { return nil }
        let body = String(decoding: bytes[(start + 1 + (prefix == nil ? 0 : 1))..<finalIndex], as: UTF8.self)
        return body.split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
    }
}
