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
            (
                ServerConfiguration(maxBodyBytes: 2 << 20, maxBodyBytesInFlight: 1 << 20),
                .bodiesInFlightBelowBodyLimit(inFlight: 1 << 20, body: 2 << 20),
                "bodies in flight limited to 1.0 MB can never hold one body of the 2.0 MB allowed: make --max-bodies-mb at least --max-body-mb"
            ),
            (
                ServerConfiguration(maxWorkBytes: 1000), .workLimitTooSmall(bytes: 1000),
                "a work limit of 1000 B refuses every decode: allow 1 MiB or more"
            ),
            (
                ServerConfiguration(headerTimeout: .zero), .timeoutNotPositive(name: "header-timeout"),
                "--header-timeout must be more than 0 seconds"
            ),
            (
                ServerConfiguration(bodyTimeout: .seconds(-1)), .timeoutNotPositive(name: "body-timeout"),
                "--body-timeout must be more than 0 seconds"
            ),
            (
                ServerConfiguration(minBodyBytesPerSecond: -2048), .negativeBodyRate(-2),
                "a minimum body rate of -2 KiB/s is negative: use 0 (no minimum) or more"
            ),
            (
                ServerConfiguration(maxRequestsPerConnection: 0), .noRequestsPerConnection(0),
                "0 requests per connection answers nothing: use 1 or more"
            ),
            (
                ServerConfiguration(maxConnectionsPerAddress: 10, maxConnections: 5), .connectionCapsTooSmall(perAddress: 10, total: 5),
                "connection caps of 10 per address and 5 in all refuse everyone: use 1 or more, and no more per address than in all"
            ),
        ]
        for (configuration, expected, message) in cases {
            #expect(throws: expected) { try configuration.validated() }
            #expect(expected.description == message)
        }
    }
}
