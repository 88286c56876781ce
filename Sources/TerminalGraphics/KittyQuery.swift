/// Whether the terminal speaks the kitty graphics protocol, asked without drawing anything: a
/// query (`a=q`) about a 1×1 image is answered but never stored or shown. Sent before DA1, which
/// every terminal answers, so a terminal that ignores it is known once DA1's reply arrives.
public enum KittyQuery {
    /// The image id the query uses; any nonzero id works, and a fixed one lets the reply be matched.
    public static let imageID: UInt32 = 31

    /// `ESC _ G i=31,s=1,v=1,a=q,t=d,f=24 ; AAAA ESC \` — one black RGB pixel. Not quiet: the reply
    /// is the point.
    public static let request: [UInt8] = KittyGraphics.command(
        "i=\(imageID),s=1,v=1,a=q,t=d,f=24", payload: Array("AAAA".utf8)[...])

    /// True when `bytes` hold the `ESC _ G i=31 ; OK ESC \` reply; an error reply (`ENOTSUPPORTED:…`)
    /// or none at all means no kitty graphics.
    public static func supported(replies bytes: [UInt8]) -> Bool {
        TerminalReplies.sequences(in: bytes).contains(where: isSupportedReply)
    }

    static func isSupportedReply(_ reply: TerminalReply) -> Bool {
        guard case .apc(let body) = reply, body.hasPrefix("G") else { return false }
        let parts = body.dropFirst().split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1] == "OK" else { return false }
        return parts[0].split(separator: ",").contains("i=\(imageID)")
    }
}
