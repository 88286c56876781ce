import Foundation

/// What latentty records about a decoded image, written into PNG text chunks.
public struct ImageMetadata: Sendable, Equatable, Codable {
    public var preset: String?
    public var seed: UInt64?
    public var source: String?
    public var engine: String?
    public var endpoint: String?
    /// Seconds per phase, e.g. `["upload": 0.12, "decode": 1.9]`.
    public var timings: [String: Double]

    public init(
        preset: String? = nil, seed: UInt64? = nil, source: String? = nil, engine: String? = nil,
        endpoint: String? = nil, timings: [String: Double] = [:]
    ) {
        self.preset = preset
        self.seed = seed
        self.source = source
        self.engine = engine
        self.endpoint = endpoint
        self.timings = timings
    }

    /// Keys are prefixed so they never collide with other tools' chunks.
    public var textChunks: [(key: String, value: String)] {
        var chunks: [(key: String, value: String)] = [("Software", "latentty")]
        if let preset { chunks.append(("latentty.preset", preset)) }
        if let seed { chunks.append(("latentty.seed", String(seed))) }
        if let source { chunks.append(("latentty.source", source)) }
        if let engine { chunks.append(("latentty.engine", engine)) }
        if let endpoint { chunks.append(("latentty.endpoint", endpoint)) }
        if !timings.isEmpty {
            let text = timings.keys.sorted().map { "\($0)=\(String(format: "%.3f", timings[$0]!))s" }
                .joined(separator: " ")
            chunks.append(("latentty.timings", text))
        }
        return chunks
    }

    /// Reads back what `textChunks` wrote.
    public init(textChunks: [String: String]) {
        self.init(
            preset: textChunks["latentty.preset"], seed: textChunks["latentty.seed"].flatMap(UInt64.init),
            source: textChunks["latentty.source"], engine: textChunks["latentty.engine"],
            endpoint: textChunks["latentty.endpoint"])
        for item in (textChunks["latentty.timings"] ?? "").split(separator: " ") {
            let parts = item.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let seconds = Double(parts[1].dropLast()) {
                timings[String(parts[0])] = seconds
            }
        }
    }
}
