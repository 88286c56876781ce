import Foundation

/// Exponential backoff with jitter, honouring `Retry-After`.
public struct RetryPolicy: Sendable, Equatable {
    /// Tries per endpoint, the first included.
    public var maxAttempts: Int
    public var baseDelay: Double
    public var maxDelay: Double
    /// ± this fraction of the delay, so many clients do not retry in lockstep.
    public var jitter: Double
    /// A `Retry-After` longer than this is cut to it (a cold start should not stall a queue for an hour).
    public var maxRetryAfter: Double

    public init(maxAttempts: Int = 4, baseDelay: Double = 1, maxDelay: Double = 30, jitter: Double = 0.2, maxRetryAfter: Double = 60) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.maxRetryAfter = maxRetryAfter
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// Seconds to wait before try `attempt + 1` (attempt counts from 1); `unit` is a random number in [0, 1).
    public func delay(afterAttempt attempt: Int, retryAfter: Double?, unit: Double) -> Double {
        if let retryAfter { return min(max(retryAfter, 0), maxRetryAfter) }
        let exponential = min(baseDelay * pow(2, Double(attempt - 1)), maxDelay)
        return max(0, exponential * (1 + jitter * (2 * unit - 1)))
    }

    /// `Retry-After` as seconds or an HTTP date; nil (the normal backoff) for anything else, including
    /// NaN, infinities and negative numbers, which would otherwise mean retrying with no pause at all.
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty, value.count <= 64 else { return nil }
        if let seconds = Double(value) { return seconds.isFinite && seconds >= 0 ? seconds : nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        // A date already past means "now"; one far ahead is cut to `maxRetryAfter` by `delay`.
        return max(0, date.timeIntervalSince(now))
    }
}
