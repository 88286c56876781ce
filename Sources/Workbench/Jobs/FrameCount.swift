/// How far a video decode is: frames final so far of the result's total, and the seconds the
/// engine took for them.
public struct FrameCount: Sendable, Equatable {
    public var done: Int
    public var total: Int
    public var elapsed: Double

    public init(done: Int, total: Int, elapsed: Double) {
        self.done = done
        self.total = total
        self.elapsed = elapsed
    }

    /// Seconds left at the rate so far (seconds per frame × frames left); nil before the first frame.
    public var eta: Double? {
        guard done > 0 else { return nil }
        return elapsed / Double(done) * Double(max(0, total - done))
    }

    /// `decoding 12/61 frames · ETA 0:08`
    public var text: String {
        var text = "decoding \(done)/\(total) frames"
        if let eta { text += " · ETA " + Self.clock(eta) }
        return text
    }

    /// `m:ss`, rounded up, so the last second reads 0:01 rather than 0:00.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        let tens = whole % 60 < 10 ? "0" : ""
        return "\(whole / 60):\(tens)\(whole % 60)"
    }
}
