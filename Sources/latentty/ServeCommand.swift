import ArgumentParser
import Foundation
import Hummingbird
import LatenttyServer
import NativeVAE

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the Hybrid Inference protocol, so diffusers' remote_decode() and remote_encode() can use this machine.",
        discussion: """
            POST /encode encodes (remote_encode: a PNG body, or a [B,3,H,W] tensor with shape and dtype;
            images resized down to multiples of 8 as diffusers does; answers the latent scaled by the
            request's scaling_factor/shift_factor)
            with the encoder of --engine and --preset; an engine without one answers 501.
            POST (any other path) decodes (every output type, scaling semantics, packed Flux with height/width).
            GET / and GET /health answer "Ok" (alive); GET /ready answers 200 while the queue has room,
            else 503; GET /metrics is in Prometheus' text format. Every refusal is JSON {"error": …}
            with its status (400, 404, 405, 408, 413, 422, 429, 431, 503). One access-log line per
            request goes to stderr. SIGTERM or SIGINT stops accepting, finishes the requests under way
            and exits 0.

            Example: latentty serve --host 127.0.0.1 --port 8000 --engine approx
            """)

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case json, text
    }

    @OptionGroup var presets: PresetOptions

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on, 0…65535 (0 picks a free one).")
    var port: Int = 8000

    @OptionGroup var engineOptions: EngineOptions

    @Option(help: "Decode every request as this preset (default: chosen per request from the latent's shape).")
    var preset: String?

    @Option(name: .customLong("max-body-mb"), help: "Largest request body in MiB (1 or more).")
    var maxBodyMB: Int = 512

    @Option(name: .customLong("max-bodies-mb"), help: "All request bodies held at once, in MiB (at least --max-body-mb); beyond it, 503.")
    var maxBodiesMB: Int = 1024

    @Option(
        name: .customLong("max-work-mb"),
        help: "Memory one request may ask its decode for (decoded pixels plus the answer), in MiB; beyond it, 422.")
    var maxWorkMB: Int = 1024

    @Option(help: "Decodes running at once (1 or more).")
    var workers: Int = 2

    @Option(name: .customLong("queue"), help: "Complete requests waiting or running before new ones get 503 (at least --workers).")
    var queueCapacity: Int = 16

    @Option(help: "Seconds a request's head may take to arrive, from its first byte (408 beyond).")
    var headerTimeout: Double = 10

    @Option(help: "Seconds per window in which a body must bring --min-body-rate (408 beyond).")
    var bodyTimeout: Double = 10

    @Option(help: "Slowest body accepted, in KiB/s averaged over each --body-timeout window (0: any rate, but never silence).")
    var minBodyRate: Int = 16

    @Option(help: "Seconds a connection may wait between requests before it is closed.")
    var idleTimeout: Double = 60

    @Option(help: "Requests answered on one connection before it is closed.")
    var maxRequestsPerConnection: Int = 1000

    @Option(help: "Connections one client address may hold open (429 beyond).")
    var maxConnectionsPerAddress: Int = 64

    @Option(help: "Connections held open in all; beyond it new ones wait to be accepted.")
    var maxConnections: Int = 1024

    @Option(help: "Access log lines: json (one object per line) or text.")
    var logFormat: LogFormat = .json

    /// What the flags ask for; `validate()` refuses it before anything starts.
    private var configuration: ServerConfiguration {
        ServerConfiguration(
            host: host, port: port, maxBodyBytes: Self.mebibytes(maxBodyMB), maxBodyBytesInFlight: Self.mebibytes(maxBodiesMB),
            maxWorkBytes: Self.mebibytes(maxWorkMB), workers: workers, queueCapacity: queueCapacity,
            headerTimeout: Self.duration(headerTimeout), bodyTimeout: Self.duration(bodyTimeout),
            minBodyBytesPerSecond: Self.saturating(minBodyRate, 1 << 10), idleTimeout: Self.duration(idleTimeout),
            maxRequestsPerConnection: maxRequestsPerConnection, maxConnectionsPerAddress: maxConnectionsPerAddress,
            maxConnections: maxConnections, logFormat: logFormat == .json ? .json : .text)
    }

    /// Saturate rather than wrap, so a huge count cannot turn into a small or negative limit.
    static func saturating(_ count: Int, _ unit: Int) -> Int {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: unit)
        return overflow ? (count > 0 ? .max : .min) : bytes
    }

    static func mebibytes(_ count: Int) -> Int { saturating(count, 1 << 20) }

    /// Not-a-number and negative seconds become zero, which validation refuses by name.
    static func duration(_ seconds: Double) -> Duration {
        seconds.isFinite && seconds > 0 ? .milliseconds(Int64(min(seconds, 1e9) * 1000)) : .zero
    }

    /// Where diffusers' `remote_encode` can point, or why it cannot.
    static func encodeLine(_ encoder: EncodeService, url: String) -> String {
        guard encoder.engine != nil else {
            return "latentty serve: no encoder, POST /encode answers 501: \(encoder.unavailableReason ?? "none was given")"
        }
        guard let preset = encoder.preset else {
            return "latentty serve: encoding needs --preset; until then \(url) answers 400"
        }
        return "latentty serve: encoding for \(preset.id) at \(url) (remote_encode's endpoint)"
    }

    func validate() throws {
        do {
            _ = try configuration.validated()
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let catalog = try presets.catalog()
        let fixed = try preset.map { try presets.preset($0, in: catalog) }
        let engine = try engineOptions.makeEngine(preset: fixed)
        let service = DecodeService(engine: engine, preset: fixed, catalog: catalog)
        // An engine without an encoder still serves decodes; its `/encode` answers 501 and says why.
        let encoder: EncodeService
        do {
            encoder = EncodeService(engine: try engineOptions.makeEncodeEngine(preset: fixed), preset: fixed)
        } catch {
            encoder = EncodeService(engine: nil, preset: fixed, unavailableReason: String(describing: error))
        }
        let host = self.host
        let app = DecodeServer.application(
            service: service, encoder: encoder, configuration: configuration,
            onListening: { port in
                printError(
                    "latentty serve: listening on http://\(host):\(port)/ (engine \(engine.name), preset \(fixed?.id ?? "per request"))"
                )
                printError(Self.encodeLine(encoder, url: "http://\(host):\(port)/encode"))
            })
        try await app.runService()
        printError("latentty serve: stopped after finishing the requests under way")
    }
}
