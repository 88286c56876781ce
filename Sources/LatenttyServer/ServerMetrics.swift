import Foundation
import Synchronization

/// The server's counters in the Prometheus text format (version 0.0.4), written by hand: a dozen
/// series do not justify swift-prometheus and swift-metrics in every build of the CLI.
final class ServerMetrics: Sendable {
    static let decodeBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    private struct Counts {
        var requests: [Int: Int] = [:]
        var bytesIn = 0
        var bytesOut = 0
        var decodeBucketCounts = [Int](repeating: 0, count: ServerMetrics.decodeBuckets.count)
        var decodeCount = 0
        var decodeSum = 0.0
        var cuts: [ConnectionCut: Int] = [:]
        var refusedForWork = 0
        var encodes = 0
        var encodeSum = 0.0
    }

    private let counts = Mutex(Counts())
    let engine: String
    let preset: String

    init(engine: String, preset: String) {
        self.engine = engine
        self.preset = preset
    }

    func answered(status: Int, bytesIn: Int, bytesOut: Int) {
        counts.withLock {
            $0.requests[status, default: 0] += 1
            $0.bytesIn += bytesIn
            $0.bytesOut += bytesOut
        }
    }

    func decoded(seconds: Double) {
        counts.withLock { counts in
            for (index, bound) in Self.decodeBuckets.enumerated() where seconds <= bound {
                counts.decodeBucketCounts[index] += 1
            }
            counts.decodeCount += 1
            counts.decodeSum += seconds
        }
    }

    func encoded(seconds: Double) {
        counts.withLock { counts in
            counts.encodes += 1
            counts.encodeSum += seconds
        }
    }

    func cut(_ reason: ConnectionCut) {
        counts.withLock { $0.cuts[reason, default: 0] += 1 }
    }

    func refusedForWork() {
        counts.withLock { $0.refusedForWork += 1 }
    }

    /// The exposition; the gauges are read by the caller at the moment of the scrape.
    func text(queueDepth: Int, queueCapacity: Int, decoding: Int, bodyBytesHeld: Int) -> String {
        let counts = self.counts.withLock { $0 }
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(value)\n" }
        }
        family(
            "latentty_requests_total", "counter", "Requests answered, by HTTP status.",
            counts.requests.sorted { $0.key < $1.key }.map { ("{status=\"\($0.key)\"}", String($0.value)) })
        family("latentty_request_bytes_total", "counter", "Request body bytes received.", [("", String(counts.bytesIn))])
        family("latentty_response_bytes_total", "counter", "Response body bytes sent.", [("", String(counts.bytesOut))])
        var buckets = zip(Self.decodeBuckets, counts.decodeBucketCounts).map { ("{le=\"\(Self.number($0))\"}", String($1)) }
        buckets.append(("{le=\"+Inf\"}", String(counts.decodeCount)))
        out += "# HELP latentty_decode_seconds Time to decode and encode one answer.\n# TYPE latentty_decode_seconds histogram\n"
        for (labels, value) in buckets { out += "latentty_decode_seconds_bucket\(labels) \(value)\n" }
        out += "latentty_decode_seconds_sum \(Self.number(counts.decodeSum))\nlatentty_decode_seconds_count \(counts.decodeCount)\n"
        family("latentty_queue_depth", "gauge", "Complete requests waiting for or holding a worker.", [("", String(queueDepth))])
        family("latentty_queue_capacity", "gauge", "Requests the queue holds before answering 503.", [("", String(queueCapacity))])
        family("latentty_decodes_in_flight", "gauge", "Decodes running now.", [("", String(decoding))])
        family("latentty_body_bytes_in_flight", "gauge", "Request body bytes held now.", [("", String(bodyBytesHeld))])
        family(
            "latentty_connections_cut_total", "counter", "Connections closed or refused by the server's limits, by reason.",
            ConnectionCut.allCases.map { ("{reason=\"\($0.rawValue)\"}", String(counts.cuts[$0, default: 0])) })
        family(
            "latentty_work_refused_total", "counter", "Requests refused for asking more decode memory than allowed.",
            [("", String(counts.refusedForWork))])
        family("latentty_encodes_total", "counter", "Images encoded and answered (POST /encode).", [("", String(counts.encodes))])
        family("latentty_encode_seconds_total", "counter", "Time spent encoding and answering.", [("", Self.number(counts.encodeSum))])
        family(
            "latentty_engine_info", "gauge", "The engine and preset this server decodes with.",
            [("{engine=\"\(Self.escaped(engine))\",preset=\"\(Self.escaped(preset))\"}", "1")])
        return out
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func escaped(_ label: String) -> String {
        label.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
