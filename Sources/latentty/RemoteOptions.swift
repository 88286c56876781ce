import ArgumentParser
import LatentKit
import RemoteDecode
import Workbench

/// How `decode` and `show` talk to endpoints: time limits, retries, and where the token and
/// redirects may go.
struct RemoteOptions: ParsableArguments {
    @Option(help: "Seconds a whole request may take.")
    var timeout: Double = 300

    @Option(name: .customLong("connect-timeout"), help: "Seconds to wait for a connection.")
    var connectTimeout: Double = 10

    @Option(help: "Tries per endpoint for 429/502/503/504, resets and timeouts.")
    var attempts: Int = 4

    @Flag(name: .customLong("token-for-all"), help: "Send the Hugging Face token to every endpoint, not only Hugging Face hosts.")
    var tokenForAll = false

    @Flag(
        name: .customLong("follow-redirects"),
        help: "Follow an endpoint's redirects to other hosts (those within its own host are always followed).")
    var followRedirects = false

    var configuration: RemoteConfiguration {
        RemoteConfiguration(
            endpoints: [], retry: RetryPolicy(maxAttempts: attempts),
            limits: TransferLimits(connectTimeout: connectTimeout, totalTimeout: timeout),
            token: AccessToken.discover(), tokenForAllEndpoints: tokenForAll, followRedirects: followRedirects)
    }
}

/// Where latents decode, as `decode` and `show` resolve their options into one rule.
struct BackendChoice {
    /// Endpoints named on the command line.
    var endpoints: [String]
    /// With no endpoints named: this machine (else each preset's own endpoints).
    var local: Bool
    var engine: EngineOptions

    /// Whether latents decode on this machine.
    var decodesHere: Bool { endpoints.isEmpty && local }

    /// Where a latent of `preset` decodes: this machine, the endpoints given, else the preset's own.
    func identity(for preset: Preset) throws -> BackendIdentity {
        if decodesHere { return .local(engine.spec) }
        let chosen = endpoints.isEmpty ? preset.endpoints : endpoints
        if chosen.isEmpty { throw BackendChoiceError.noEndpoint(preset: preset) }
        return .remote(endpoints: chosen)
    }

    /// The backends jobs go to. Remote ones share `remote`'s retry, limit and token settings; a
    /// local engine is loaded now (bad weights fail before any job) unless it must be found per
    /// preset in the model cache.
    func makeRegistry(remote: RemoteOptions, preset: Preset?, concurrency: Int) throws -> BackendRegistry {
        let registry = BackendRegistry.standard(remote: remote.configuration, remoteConcurrency: concurrency)
        guard decodesHere else { return registry }
        if engine.spec.weights == nil, engine.spec.engine != .approx, preset == nil {
            engine.runtime.apply(precision: engine.precision)
            registry.register(LocalBackend(spec: engine.spec, concurrency: concurrency))
        } else {
            registry.register(LocalBackend(engine: try engine.makeEngine(preset: preset), spec: engine.spec, concurrency: concurrency))
        }
        return registry
    }
}

extension BackendOptions {
    /// `--local`, `--endpoint`, or neither: each preset's endpoints.
    var choice: BackendChoice { BackendChoice(endpoints: endpoint, local: local, engine: engineOptions) }
}
