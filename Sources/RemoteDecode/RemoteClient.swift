import Foundation
import LatentKit
import Synchronization
import Wire

/// What happened along the way of one remote call, for progress displays and logs.
public enum RemoteEvent: Sendable, Equatable {
    case attempt(endpoint: String, number: Int)
    case progress(TransferProgress)
    case retrying(endpoint: String, afterSeconds: Double, reason: String)
    case failingOver(from: String, to: String, reason: String)
}

public enum RemoteError: Error, Equatable, CustomStringConvertible {
    /// Every try failed; `last` says how the final one did.
    case exhausted(endpoint: String, attempts: Int, last: String)
    /// A failure no retry can cure (a 4xx, a malformed answer).
    case rejected(endpoint: String, reason: String)
    /// Nothing listens at the endpoint (a server not started, a wrong port).
    case connectionRefused(endpoint: String)
    case noEndpoints
    case cancelled

    /// Reasons quote endpoints' answers, so control characters are escaped wherever the error is printed.
    public var description: String { words.terminalSafe }

    private var words: String {
        switch self {
        case .exhausted(let endpoint, let attempts, let last):
            "\(endpoint): gave up after \(attempts) attempt\(attempts == 1 ? "" : "s"): \(last)"
        case .rejected(let endpoint, let reason):
            "\(endpoint): \(reason)"
        case .connectionRefused(let endpoint):
            "connection refused at \(endpoint): nothing listens there (is the server running, on that port?)"
        case .noEndpoints:
            "no endpoint is configured for this preset; pass --endpoint URL or add one in config.toml"
        case .cancelled:
            "cancelled"
        }
    }
}

/// How the client waits between tries; tests substitute one that records instead of sleeping.
public struct Sleeper: Sendable {
    public let sleep: @Sendable (Double) async throws -> Void

    public init(sleep: @escaping @Sendable (Double) async throws -> Void) {
        self.sleep = sleep
    }

    public static let real = Sleeper { seconds in
        try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
    }
}

public struct RemoteConfiguration: Sendable {
    public var endpoints: [String]
    public var retry: RetryPolicy
    public var limits: TransferLimits
    public var token: AccessToken?
    /// Send the token to every endpoint, not just Hugging Face hosts.
    public var tokenForAllEndpoints: Bool
    /// Follow redirects to other hosts too; redirects within the endpoint's own host are always followed.
    public var followRedirects: Bool

    public init(
        endpoints: [String], retry: RetryPolicy = RetryPolicy(), limits: TransferLimits = TransferLimits(),
        token: AccessToken? = nil, tokenForAllEndpoints: Bool = false, followRedirects: Bool = false
    ) {
        self.endpoints = endpoints
        self.retry = retry
        self.limits = limits
        self.token = token
        self.tokenForAllEndpoints = tokenForAllEndpoints
        self.followRedirects = followRedirects
    }
}

/// Sends protocol requests with retries, backoff and failover across a preset's endpoints.
///
/// Each request goes to the endpoint its `EndpointPool` picks (the healthy one with the fewest
/// requests outstanding). Per endpoint: 429/502/503/504 and transient transport failures (reset,
/// cut-short body, timeout) are retried with backoff up to `maxAttempts`; a refused connection or a
/// 404 moves straight on to the next endpoint (and fails at once when it is the last). Other 4xx/5xx
/// answers are final: a retry would get the same answer.
public struct RemoteClient: Sendable {
    public let transport: CurlTransport
    public let sleeper: Sleeper
    public let pool: EndpointPool
    private let random: @Sendable () -> Double

    public init(
        transport: CurlTransport = CurlTransport(), sleeper: Sleeper = .real, pool: EndpointPool = EndpointPool(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.transport = transport
        self.sleeper = sleeper
        self.pool = pool
        self.random = random
    }

    static let retryableStatuses: Set<Int> = [429, 502, 503, 504]

    public func send(
        _ request: WireRequest, configuration: RemoteConfiguration, events: @escaping @Sendable (RemoteEvent) -> Void = { _ in }
    ) async throws(RemoteError) -> WireResponse {
        let endpoints = configuration.endpoints
        guard !endpoints.isEmpty else { throw .noEndpoints }
        let distinct = Set(endpoints).count
        var lastError = RemoteError.noEndpoints
        var tried = Set<String>()
        var leaving: (endpoint: String, reason: String)? = nil
        while let endpoint = pool.claim(among: endpoints, excluding: tried) {
            defer { pool.release(endpoint) }
            tried.insert(endpoint)
            if let leaving { events(.failingOver(from: leaving.endpoint, to: endpoint, reason: leaving.reason)) }
            do {
                return try await sendToOne(
                    request, endpoint: endpoint, configuration: configuration, canFailOver: tried.count < distinct, events: events)
            } catch let outcome {
                switch outcome {
                case .final(let error):
                    throw error
                case .failOver(let error, let reason):
                    lastError = error
                    leaving = (endpoint, reason)
                }
            }
        }
        throw lastError
    }

    private enum Outcome: Error {
        case final(RemoteError)
        case failOver(RemoteError, reason: String)
    }

    private func sendToOne(
        _ request: WireRequest, endpoint: String, configuration: RemoteConfiguration, canFailOver: Bool,
        events: @escaping @Sendable (RemoteEvent) -> Void
    ) async throws(Outcome) -> WireResponse {
        let policy = configuration.retry
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { throw .final(.cancelled) }
            events(.attempt(endpoint: endpoint, number: attempt))
            let reason: String
            var retryAfter: Double? = nil
            do {
                let response = try await performFollowingRedirects(
                    request, endpoint: endpoint, configuration: configuration, events: events)
                pool.answered(endpoint)
                if (200..<300).contains(response.status) { return response }
                let failure = WireError.server(status: response.status, message: ErrorBody.message(from: response)).description
                if response.status == 404 || response.status == 410 {
                    throw Outcome.failOver(.rejected(endpoint: endpoint, reason: failure), reason: failure)
                }
                guard Self.retryableStatuses.contains(response.status) else {
                    throw Outcome.final(.rejected(endpoint: endpoint, reason: failure))
                }
                reason = failure
                retryAfter = RetryPolicy.parseRetryAfter(response.headers["Retry-After"])
            } catch let error as Outcome {
                throw error
            } catch let error as TransportError {
                if error == .cancelled { throw .final(.cancelled) }
                if error.isConnectionFailure { pool.failedToConnect(endpoint) }
                if case .connectionRefused = error {
                    // A refusal comes back at once and would come back again: move on without waiting.
                    throw .failOver(.connectionRefused(endpoint: endpoint), reason: "connection refused at \(endpoint)")
                }
                guard error.isTransient else { throw .final(.rejected(endpoint: endpoint, reason: error.description)) }
                // Waiting to retry an endpoint the pool now holds down (this failure or other jobs'
                // marked it) would only delay the job: another endpoint can take it at once.
                if error.isConnectionFailure, canFailOver, pool.isDown(endpoint) {
                    throw .failOver(.exhausted(endpoint: endpoint, attempts: attempt, last: error.description), reason: error.description)
                }
                if case .couldNotConnect = error, canFailOver {
                    throw .failOver(.exhausted(endpoint: endpoint, attempts: attempt, last: error.description), reason: error.description)
                }
                reason = error.description
            } catch {
                throw .final(.rejected(endpoint: endpoint, reason: "\(error)"))
            }
            guard attempt < policy.maxAttempts else {
                throw .failOver(.exhausted(endpoint: endpoint, attempts: attempt, last: reason), reason: reason)
            }
            let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, unit: random())
            events(.retrying(endpoint: endpoint, afterSeconds: delay, reason: reason))
            do {
                try await sleeper.sleep(delay)
            } catch {
                throw .final(.cancelled)
            }
        }
    }

    /// One try at `endpoint`, following redirects within its host (and beyond only when configured).
    private func performFollowingRedirects(
        _ request: WireRequest, endpoint: String, configuration: RemoteConfiguration, events: @escaping @Sendable (RemoteEvent) -> Void
    ) async throws -> WireResponse {
        var url = request.url(endpoint: endpoint)
        for _ in 0...Redirect.maxHops {
            let response = try await transport.perform(
                request, url: url, extraHeaders: authorization(for: url, configuration), limits: configuration.limits,
                progress: { events(.progress($0)) })
            guard let target = Redirect.target(of: response, from: url) else { return response }
            guard configuration.followRedirects || Redirect.sameOrigin(url, target) else {
                throw Outcome.final(
                    .rejected(
                        endpoint: endpoint,
                        reason: "the endpoint redirects to \(target), another host; pass --follow-redirects to follow it"))
            }
            url = target
        }
        throw Outcome.final(.rejected(endpoint: endpoint, reason: "the endpoint redirected more than \(Redirect.maxHops) times"))
    }

    /// The token, where it may go: Hugging Face hosts, or every host when the user said so.
    private func authorization(for url: String, _ configuration: RemoteConfiguration) -> [Header] {
        guard let token = configuration.token, configuration.tokenForAllEndpoints || AccessToken.isHuggingFaceHost(url) else { return [] }
        return [Header("Authorization", "Bearer \(token.value)")]
    }

    /// A decode call: sends, then reads the answer as the request's output type. The answer may be
    /// no larger than the request can produce, so a runaway body is cut off as it arrives.
    public func decode(
        _ request: DecodeRequest, configuration: RemoteConfiguration, events: @escaping @Sendable (RemoteEvent) -> Void = { _ in }
    ) async throws(RemoteError) -> (payload: DecodedPayload, endpoint: String) {
        let (payload, endpoint) = try await call(
            request.wire, answerBound: AnswerBounds(request.parameters)?.maxBytes, configuration: configuration, events: events
        ) { response throws(WireError) in try DecodedPayload.parse(response, for: request.parameters) }
        return (payload, endpoint)
    }

    /// Sends `wire` with the answer cut off beyond `answerBound` bytes, and reads it with `parse`;
    /// an answer that does not parse is the endpoint's rejection. Decode and encode calls share it.
    func call<Answer>(
        _ wire: WireRequest, answerBound: Int?, configuration: RemoteConfiguration, events: @escaping @Sendable (RemoteEvent) -> Void,
        parse: (WireResponse) throws(WireError) -> Answer
    ) async throws(RemoteError) -> (Answer, String) {
        var configuration = configuration
        if let answerBound { configuration.limits.maxResponseBytes = min(configuration.limits.maxResponseBytes, answerBound) }
        let endpointUsed = EndpointRecorder()
        let response = try await send(wire, configuration: configuration) { event in
            if case .attempt(let endpoint, _) = event { endpointUsed.set(endpoint) }
            events(event)
        }
        let endpoint = endpointUsed.value ?? configuration.endpoints[0]
        do {
            return (try parse(response), endpoint)
        } catch {
            throw .rejected(endpoint: endpoint, reason: error.description)
        }
    }
}

/// Remembers which endpoint the last attempt went to.
final class EndpointRecorder: Sendable {
    private let storage = Synchronization.Mutex<String?>(nil)
    func set(_ endpoint: String) { storage.withLock { $0 = endpoint } }
    var value: String? { storage.withLock { $0 } }
}
