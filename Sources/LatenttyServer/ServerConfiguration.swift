import Foundation

/// Everything `latentty serve` can be told: where to listen, how much work it takes on, and how
/// long a client may take to send it. The defaults suit one machine behind a load balancer.
public struct ServerConfiguration: Sendable {
    /// `latentty serve` logs JSON; embedders and tests get readable lines unless they ask.
    public enum LogFormat: String, Sendable, CaseIterable {
        /// One JSON object per line, for log collectors.
        case json
        /// One readable line per request.
        case text
    }

    public var host: String
    public var port: Int
    /// Largest request body accepted (413 beyond it).
    public var maxBodyBytes: Int
    /// All request bodies held at once (being received, queued or decoding); beyond it, 503.
    public var maxBodyBytesInFlight: Int
    /// The memory one request may ask its decode for (decoded pixels plus the answer); beyond it, 422.
    public var maxWorkBytes: Int
    public var workers: Int
    /// Complete requests that may wait or run at once before new ones get 503.
    public var queueCapacity: Int
    public var retryAfterSeconds: Int
    /// A request's head must arrive within this, counted from its first byte.
    public var headerTimeout: Duration
    /// A body must bring `minBodyBytesPerSecond` in every window this long, so a trickle is cut.
    public var bodyTimeout: Duration
    public var minBodyBytesPerSecond: Int
    /// A connection with no request under way is closed after this.
    public var idleTimeout: Duration
    public var maxRequestsPerConnection: Int
    public var maxConnectionsPerAddress: Int
    public var maxConnections: Int
    public var logFormat: LogFormat

    public init(
        host: String = "127.0.0.1", port: Int = 8000, maxBodyBytes: Int = 512 << 20, maxBodyBytesInFlight: Int = 1 << 30,
        maxWorkBytes: Int = 1 << 30, workers: Int = 2, queueCapacity: Int = 16, retryAfterSeconds: Int = 2,
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(10), minBodyBytesPerSecond: Int = 16 << 10,
        idleTimeout: Duration = .seconds(60), maxRequestsPerConnection: Int = 1000, maxConnectionsPerAddress: Int = 64,
        maxConnections: Int = 1024, logFormat: LogFormat = .text
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxBodyBytesInFlight = maxBodyBytesInFlight
        self.maxWorkBytes = maxWorkBytes
        self.workers = workers
        self.queueCapacity = queueCapacity
        self.retryAfterSeconds = retryAfterSeconds
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.minBodyBytesPerSecond = minBodyBytesPerSecond
        self.idleTimeout = idleTimeout
        self.maxRequestsPerConnection = maxRequestsPerConnection
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.maxConnections = maxConnections
        self.logFormat = logFormat
    }
}
