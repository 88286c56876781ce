import ArgumentParser
import Foundation
import Hummingbird
import LatenttyServer
import NativeVAE

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the Hybrid Inference decode protocol, so diffusers' remote_decode() can use this machine.",
        discussion: """
            POST / decodes (every output type, scaling semantics, packed Flux with height/width);
            GET / and GET /health answer "Ok". Bad requests get HTTP 400 with JSON {"error": …};
            one access-log line per request goes to stderr.

            Example: latentty serve --host 127.0.0.1 --port 8000 --engine approx
            """)

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

    @Option(help: "Decodes running at once (1 or more).")
    var workers: Int = 2

    @Option(name: .customLong("queue"), help: "Requests waiting or running before new ones get 503 (at least --workers).")
    var queueCapacity: Int = 16

    /// What the flags ask for; `validate()` refuses it before anything starts.
    private var configuration: ServerConfiguration {
        // Saturate rather than wrap, so a huge --max-body-mb cannot turn into a small or negative limit.
        let (bytes, overflow) = maxBodyMB.multipliedReportingOverflow(by: 1 << 20)
        return ServerConfiguration(
            host: host, port: port, maxBodyBytes: overflow ? (maxBodyMB > 0 ? .max : .min) : bytes, workers: workers,
            queueCapacity: queueCapacity)
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
        let host = self.host
        let app = DecodeServer.application(
            service: service, configuration: configuration,
            onListening: { port in
                printError(
                    "latentty serve: listening on http://\(host):\(port)/ (engine \(engine.name), preset \(fixed?.id ?? "per request"))"
                )
            })
        try await app.runService()
    }
}
