import Foundation
import Testing

@testable import LatenttyServer

/// Access-log lines carry what a client sent, so they must not let it forge or colour lines.
@Suite struct ServerAccessLogTests {
    let record = AccessRecord(
        time: "2026-11-29T19:00:00.000Z", remote: "127.0.0.1", method: "GET", path: "/x\u{1B}[31m\nPOST / 200", status: 404,
        bytesIn: 0, bytesOut: 120, seconds: 0.0016)

    @Test func textLinesShowControlCharactersAsQuestionMarks() {
        #expect(record.line(.text) == "GET /x?[31m?POST / 200 404 in=0B out=120B 0.002s from 127.0.0.1")
    }

    @Test func jsonLinesEscapeThem() throws {
        let line = record.line(.json)
        #expect(!line.contains("\n") && !line.contains("\u{1B}"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["path"] as? String == record.path && object["bytes_out"] as? Int == 120 && object["error"] == nil)
    }
}
