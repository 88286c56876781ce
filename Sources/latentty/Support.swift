import ArgumentParser
import Foundation
import LatentKit

/// A failure the CLI reports as one plain sentence and exit status 1.
struct CLIFailure: Error, CustomStringConvertible {
    let description: String

    /// Errors quote names and text from files and endpoints, so control characters are escaped.
    init(_ error: any Error) {
        description = String(describing: error).terminalSafe
    }
}

/// Runs `body`, turning library errors into messages a person can act on.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ExitCode {
        throw error
    } catch {
        throw CLIFailure(error)
    }
}

struct PresetOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Config file with user presets (default: $XDG_CONFIG_HOME/latentty/config.toml).")
    var config: String?

    var configFile: URL { config.map { URL(fileURLWithPath: $0) } ?? PresetCatalog.configFile() }

    func catalog() throws -> PresetCatalog {
        try reportingErrors { try PresetCatalog.load(configFile: configFile) }
    }

    func preset(_ name: String, in catalog: PresetCatalog) throws -> Preset {
        guard let preset = catalog.preset(named: name) else {
            // Preset ids come from config.toml, and argument parsing prints this message as it is.
            throw ValidationError(
                "unknown preset '\(name)'; choose one of: \(catalog.ids.joined(separator: ", "))".terminalSafe)
        }
        return preset
    }
}

/// JSON on stdout; names and metadata in it come from files, so the characters JSON leaves raw are
/// escaped too (`TerminalSafe.json`).
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    print(TerminalSafe.json(String(decoding: try encoder.encode(value), as: UTF8.self)))
}

func formatNumber(_ value: Double) -> String {
    value.isFinite ? String(format: "%.4f", value) : "\(value)"
}

/// Which latent a file holds and how to read it, for `decode` and `show`.
struct LatentOptions: ParsableArguments {
    @Option(help: "Preset of the latents (default: a latent file's own metadata, else the one its shape suggests).")
    var preset: String?

    @Option(help: "Tensor to decode when a latent file holds several.")
    var key: String?

    @Option(help: "diffusion (pipeline output, scaled; the default) or vae (raw VAE latents).")
    var space: LatentSpace?
}
