import ArgumentParser
import Foundation
import LatentKit

struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presets",
        abstract: "List the built-in and configured presets.",
        discussion: "Example: latentty presets --json")

    @OptionGroup var presets: PresetOptions

    @Flag(help: "Print the presets as JSON.")
    var json = false

    func run() throws {
        let catalog = try presets.catalog()
        if json {
            try printJSON(catalog.presets)
            return
        }
        for preset in catalog.presets {
            var facts = ["\(preset.latentChannels) ch", "/\(preset.spatialFactor)"]
            if let temporal = preset.temporalFactor { facts.append("temporal /\(temporal)") }
            facts.append("scale \(preset.scalingFactor)")
            if let shift = preset.shiftFactor { facts.append("shift \(shift)") }
            if preset.packed { facts.append("packed ok") }
            facts.append("\(preset.outputType.rawValue)/\(preset.imageFormat.rawValue)")
            let origin = preset.isBuiltin ? "" : "  (config)"
            printLine(
                "\(preset.id.padding(toLength: 14, withPad: " ", startingAt: 0)) \(preset.name)\(origin)")
            printLine("    " + facts.joined(separator: "  "))
            if let model = preset.modelID { printLine("    model: \(model)") }
            for endpoint in preset.endpoints { printLine("    endpoint: \(endpoint)") }
            for endpoint in preset.encodeEndpoints { printLine("    encode endpoint: \(endpoint)") }
        }
    }
}
