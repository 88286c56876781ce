/// tmux (with `allow-passthrough on`, tmux ≥ 3.3) forwards `ESC P tmux; … ESC \` to the outer
/// terminal. Inside, every ESC is doubled so tmux does not take the payload's own `ESC \` as the
/// end of the wrapper.
public enum TmuxPassthrough {
    public static func wrap(_ sequence: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0x1B, 0x50] + Array("tmux;".utf8)
        bytes.reserveCapacity(sequence.count * 2 + 9)
        for byte in sequence {
            if byte == 0x1B { bytes.append(0x1B) }
            bytes.append(byte)
        }
        return bytes + [0x1B, 0x5C]
    }
}
