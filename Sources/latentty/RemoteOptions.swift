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

extension BackendOptions {
    /// Whether latents decode on this machine: `--local`, or — where presets do not choose
    /// (`show`) — no `--endpoint` either.
    func decodesHere(followingPresets: Bool) -> Bool { local || (endpoint.isEmpty && !followingPresets) }

    /// Where a latent of `preset` decodes: this machine, the endpoints given, else the preset's own.
    func identity(for preset: Preset, followingPresets: Bool) throws -> BackendIdentity {
        if decodesHere(followingPresets: followingPresets) { return .local(engineOptions.spec) }
        let endpoints = endpoint.isEmpty ? preset.endpoints : endpoint
        if endpoints.isEmpty { throw BackendChoiceError.noEndpoint(preset: preset) }
        return .remote(endpoints: endpoints)
    }

    /// The backends jobs go to. Remote ones share `remote`'s retry, limit and token settings; a
    /// local engine is loaded now (bad weights fail before any job) unless it must be found per
    /// preset in the model cache.
    func makeRegistry(remote: RemoteOptions, preset: Preset?, concurrency: Int, followingPresets: Bool) throws -> BackendRegistry {
        let registry = BackendRegistry.standard(remote: remote.configuration, remoteConcurrency: concurrency)
        guard decodesHere(followingPresets: followingPresets) else { return registry }
        let options = engineOptions
        if options.spec.weights == nil, options.spec.engine != .approx, preset == nil {
            options.runtime.apply()
            registry.register(LocalBackend(spec: options.spec, concurrency: concurrency))
        } else {
            registry.register(LocalBackend(engine: try options.makeEngine(preset: preset), spec: options.spec, concurrency: concurrency))
        }
        return registry
    }
}
