import Foundation

/// A one-line message for the status bar. It goes away by itself: the first tick after it appears
/// stamps it, and a later tick past its lifetime clears it, so the keys show again.
public struct StatusMessage: Sendable, Equatable {
    public enum Kind: Sendable { case info, success, warning, error }
    public var text: String
    public var kind: Kind
    /// When a tick first saw it; nil until then.
    public var shownAt: Date?

    public init(_ text: String, _ kind: Kind = .info) {
        self.text = text
        self.kind = kind
    }

    /// Errors stay longest: they are the messages a user most needs to read to the end.
    public var lifetime: TimeInterval {
        switch kind {
        case .info: 4
        case .success: 6
        case .warning: 8
        case .error: 15
        }
    }

    /// This message as of `now`: stamped if new, nil once expired.
    func aged(to now: Date) -> StatusMessage? {
        guard let shownAt else {
            var stamped = self
            stamped.shownAt = now
            return stamped
        }
        return now.timeIntervalSince(shownAt) >= lifetime ? nil : self
    }
}
