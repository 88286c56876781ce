import Foundation
import Testing

/// `latentty bench local --model taesd`: TAESD with random weights decodes at the asked size, and
/// the JSON says which model it timed and how long making the engine took.
@Suite struct LocalBenchCLITests {
    struct Row: Decodable {
        let model: String
        let size: Int
        let load_seconds: Double
        let first_seconds: Double
        let seconds: Double
    }

    @Test func timesTAESDAndItsLoad() throws {
        let result = try CLITests.run(["bench", "local", "--model", "taesd", "--size", "64", "--repeats", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let row = try JSONDecoder().decode(Row.self, from: Data(result.stdout.utf8))
        #expect(row.model == "taesd" && row.size == 64)
        #expect(row.load_seconds > 0 && row.first_seconds > 0 && row.seconds > 0)
    }
}
