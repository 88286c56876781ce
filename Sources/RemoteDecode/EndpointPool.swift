import Foundation
import Synchronization

/// The health and load of the endpoints one client sends to, shared by all of its jobs: each try
/// goes to the healthy endpoint with the fewest requests outstanding (so jobs spread rather than
/// queue on the first), an endpoint that fails to connect `failuresToMarkDown` times in a row is
/// left alone for `coolDown` seconds, and then one request probes it back.
public final class EndpointPool: Sendable {
    public let failuresToMarkDown: Int
    public let coolDown: Double
    private let now: @Sendable () -> Date

    private struct Health {
        var outstanding = 0
        var consecutiveFailures = 0
        var downSince: Date?
        var probing = false
    }

    private let health = Mutex<[String: Health]>([:])

    public init(failuresToMarkDown: Int = 3, coolDown: Double = 30, now: @escaping @Sendable () -> Date = { Date() }) {
        self.failuresToMarkDown = max(1, failuresToMarkDown)
        self.coolDown = coolDown
        self.now = now
    }

    /// Picks the endpoint for the next try among `endpoints` not yet `tried`, and counts a request
    /// outstanding on it until `release`. Endpoints marked down are used only once their cool-down
    /// has passed (one probe at a time), or as a last resort when nothing else is left.
    func claim(among endpoints: [String], excluding tried: Set<String>) -> String? {
        let time = now()
        return health.withLock { health in
            var seen = Set<String>()
            let candidates = endpoints.filter { !tried.contains($0) && seen.insert($0).inserted }
            guard !candidates.isEmpty else { return nil }
            func usable(_ endpoint: String) -> Bool {
                let state = health[endpoint] ?? Health()
                guard let downSince = state.downSince else { return true }
                return !state.probing && time.timeIntervalSince(downSince) >= coolDown
            }
            // `min(by:)` keeps the first of equals, so ties go in the configured order.
            let chosen =
                candidates.filter(usable).min { (health[$0]?.outstanding ?? 0) < (health[$1]?.outstanding ?? 0) }
                ?? candidates.min { (health[$0]?.downSince ?? .distantPast) < (health[$1]?.downSince ?? .distantPast) }!
            if health[chosen]?.downSince != nil { health[chosen, default: Health()].probing = true }
            health[chosen, default: Health()].outstanding += 1
            return chosen
        }
    }

    /// A probe that ended neither way (a timeout, a cancel) lets the next request probe again.
    func release(_ endpoint: String) {
        health.withLock { health in
            health[endpoint, default: Health()].outstanding -= 1
            health[endpoint]?.probing = false
        }
    }

    /// An HTTP answer of any status came back: the endpoint is there.
    func answered(_ endpoint: String) {
        health.withLock { health in
            health[endpoint, default: Health()].consecutiveFailures = 0
            health[endpoint]?.downSince = nil
            health[endpoint]?.probing = false
        }
    }

    /// A connection could not be made or was lost; a failed probe marks the endpoint down again at once.
    func failedToConnect(_ endpoint: String) {
        let time = now()
        health.withLock { health in
            var state = health[endpoint] ?? Health()
            state.consecutiveFailures += 1
            if state.probing || state.consecutiveFailures >= failuresToMarkDown {
                state.downSince = time
                state.probing = false
            }
            health[endpoint] = state
        }
    }

    /// Whether `endpoint` is marked down now (for displays and tests).
    public func isDown(_ endpoint: String) -> Bool {
        health.withLock { $0[endpoint]?.downSince != nil }
    }
}
