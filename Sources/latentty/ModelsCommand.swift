import ArgumentParser
import Foundation
import LatentKit
import NativeVAE

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the VAE weights found on this machine and which engines each preset can use.",
        discussion:
            "Looks in $HF_HUB_CACHE, $HF_HOME/hub and ~/.cache/huggingface/hub; nothing is ever downloaded. Example: latentty models")

    @OptionGroup var presets: PresetOptions

    @Flag(help: "Print as JSON.")
    var json = false

    func run() throws {
        let catalog = try presets.catalog()
        let survey = ModelDiscovery.survey(catalog.presets)
        if json {
            let rows = survey.map { row -> [String: String] in
                var object = ["preset": row.preset, "approx": "available"]
                object["full"] = row.full?.weights.path ?? "missing"
                object["tiny"] = row.tiny?.weights.path ?? "missing"
                return object
            }
            try printJSON(rows)
            return
        }
        printLine("searched: " + ModelDiscovery.cacheDirectories().map(\.path).joined(separator: ", "))
        for row in survey {
            let preset = catalog.preset(named: row.preset)
            printLine(
                "\(row.preset.padding(toLength: 14, withPad: " ", startingAt: 0)) approx ✓   full \(row.full == nil ? "✗" : "✓")   tiny \(row.tiny == nil ? "✗" : "✓")"
            )
            if let full = row.full {
                printLine("    full: \(full.weights.path)")
            } else if let model = preset?.modelID {
                printLine("    full: not found (\(model); or pass --vae PATH)")
            }
            if let tiny = row.tiny { printLine("    tiny: \(tiny.weights.path)") }
        }
    }
}
