import Foundation
import LatentKit

/// One record per answer: what was asked, by whom, and what it cost.
struct AccessRecord: Encodable {
    let time: String
    let remote: String
    let method: String
    let path: String
    let status: Int
    let bytesIn: Int
    let bytesOut: Int
    let seconds: Double
    /// Why the request was refused, for answers the connection guard wrote itself.
    var error: String?

    enum CodingKeys: String, CodingKey {
        case time, remote, method, path, status, error
        case bytesIn = "bytes_in"
        case bytesOut = "bytes_out"
        case seconds
    }

    func line(_ format: ServerConfiguration.LogFormat) -> String {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            // JSON escapes C0 controls itself; `TerminalSafe.json` the C1 and bidi ones it leaves raw.
            return (try? encoder.encode(self)).map { TerminalSafe.json(String(decoding: $0, as: UTF8.self)) } ?? "{}"
        case .text:
            let reason = error.map { " error=\($0)" } ?? ""
            return
                "\(method) \(Self.printable(path)) \(status) in=\(bytesIn)B out=\(bytesOut)B \(String(format: "%.3fs", seconds)) from \(remote)\(reason)"
        }
    }

    /// A target as sent, with control characters and bidi overrides shown as `?`, so no request can
    /// forge, colour or reorder log lines (JSON lines escape them instead).
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { TerminalSafe.needsEscape($0, newlines: false) ? "?" : $0 }))
    }

    static func now() -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date())
    }
}
