import LatenttyServer
import Testing

@Suite struct ServerConfigurationTests {
    @Test func settingsInRangeAreAccepted() throws {
        let edges = [
            ServerConfiguration(port: 0), ServerConfiguration(port: 65535),
            ServerConfiguration(maxBodyBytes: 1, workers: 1, queueCapacity: 1),
        ]
        for configuration in edges {
            #expect(try configuration.validated().port == configuration.port)
        }
    }

    @Test func eachSettingOutOfRangeIsRefusedWithTheRange() {
        let cases: [(ServerConfiguration, ServerConfigurationError, String)] = [
            (ServerConfiguration(port: 65536), .portOutOfRange(65536), "port 65536 is out of range: use 0…65535 (0 picks a free port)"),
            (ServerConfiguration(port: -1), .portOutOfRange(-1), "port -1 is out of range: use 0…65535 (0 picks a free port)"),
            (ServerConfiguration(workers: 0), .noWorkers(0), "0 workers cannot decode anything: use 1 or more"),
            (
                ServerConfiguration(workers: 4, queueCapacity: 3), .queueShorterThanWorkers(queue: 3, workers: 4),
                "a queue of 3 cannot keep 4 workers busy: make it at least 4 (the number of workers)"
            ),
            (
                ServerConfiguration(maxBodyBytes: 0), .bodyLimitNotPositive(bytes: 0),
                "a request body limit of 0 bytes refuses every request: allow more than 0"
            ),
        ]
        for (configuration, expected, message) in cases {
            #expect(throws: expected) { try configuration.validated() }
            #expect(expected.description == message)
        }
    }
}
