import ArgumentParser
import Foundation

/// Where decodes run, for `decode` and the workbench: the given endpoints, this machine, or —
/// neither given — the endpoints of each latent's preset.
struct BackendOptions: ParsableArguments {
    @Option(
        help:
            "Endpoint URL; repeat to spread jobs over several (least busy first, failing over when one is down). Without it and --local: the endpoints of the latent's preset."
    )
    var endpoint: [String] = []

    @Flag(help: "Decode on this machine instead of an endpoint.")
    var local = false

    @OptionGroup var engineOptions: EngineOptions

    func validate() throws {
        if local && !endpoint.isEmpty { throw ValidationError("--local and --endpoint exclude each other") }
        try Self.validate(endpoints: endpoint)
    }

    static func validate(endpoints: [String]) throws {
        for url in endpoints {
            guard let parsed = URL(string: url), parsed.scheme == "http" || parsed.scheme == "https", parsed.host != nil else {
                throw ValidationError("--endpoint '\(url)' is not an http(s) URL like http://127.0.0.1:8000/")
            }
        }
    }

    /// Neither `--endpoint` nor `--local`: each preset says where its latents go.
    var followsPresets: Bool { !local && endpoint.isEmpty }
}
