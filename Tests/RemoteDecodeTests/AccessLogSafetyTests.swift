import Foundation
import Testing

@testable import LatenttyServer

/// A request target with a C1 CSI and a right-to-left override: neither reaches a log line raw,
/// in text or in JSON, where encoders escape only C0 controls by themselves.
@Suite struct AccessLogSafetyTests {
    let record = AccessRecord(
        time: "2026-11-29T19:00:00.000Z", remote: "127.0.0.1", method: "GET", path: "/a\u{9B}2J\u{202E}b", status: 404, bytesIn: 0,
        bytesOut: 1, seconds: 0.001)

    @Test func textLinesShowThemAsQuestionMarks() {
        #expect(record.line(.text).hasPrefix("GET /a?2J?b 404 "))
    }

    @Test func jsonLinesEscapeThemAndKeepTheValue() throws {
        let line = record.line(.json)
        #expect(!line.unicodeScalars.contains { $0.value == 0x9B || $0.value == 0x202E }, "\(line)")
        #expect(line.contains(#"\u009B2J\u202E"#))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["path"] as? String == record.path)
    }
}
