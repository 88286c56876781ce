import ArgumentParser
import Foundation
import LatentKit

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a latent file's tensors, statistics, likely preset and warnings.",
        discussion: """
            Reads safetensors, ComfyUI .latent, .npy, .npz and PyTorch .pt (without running any pickled code).

            Example: latentty inspect Samples/sd15_512_seed13.safetensors --json
            """)

    @OptionGroup var presets: PresetOptions

    @Argument(help: "A latent file.")
    var file: String

    @Option(help: "Which tensor holds the latent, when the file has several.")
    var key: String?

    @Option(help: "Check the latent against this preset.")
    var preset: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        let catalog = try presets.catalog()
        let requested = try preset.map { try presets.preset($0, in: catalog) }
        let report = try reportingErrors {
            let file = try LatentFile.read(contentsOf: URL(fileURLWithPath: file))
            return try LatentReport(file: file, key: key, preset: requested, catalog: catalog)
        }
        if json {
            try printJSON(report)
        } else {
            // Names, metadata and the file name come from the file: shown, never obeyed. Line by
            // line, so a newline inside a metadata value shows as `\x0A` instead of forging a line.
            print(render(report).map(\.terminalSafe).joined(separator: "\n"))
        }
    }

    private func render(_ report: LatentReport) -> [String] {
        var lines = ["\(file): \(report.format.rawValue)"]
        for tensor in report.tensors {
            let marker = tensor.name == report.latentKey ? "*" : " "
            lines.append(" \(marker) \(tensor.name)  \(tensor.dtype.rawValue)  \(tensor.shape.shapeText)")
        }
        let s = report.stats
        lines.append(
            "latent '\(report.latentKey)': min \(formatNumber(s.min))  max \(formatNumber(s.max))  mean \(formatNumber(s.mean))  std \(formatNumber(s.std))"
        )
        if s.nanCount + s.infCount > 0 {
            lines.append("non-finite: \(s.nanCount) NaN, \(s.infCount) Inf")
        }
        if !report.channels.isEmpty {
            lines.append("channels (mean ± std):")
            for (index, channel) in report.channels.enumerated() {
                lines.append(
                    "  \(String(format: "%3d", index))  \(formatNumber(channel.mean)) ± \(formatNumber(channel.std))"
                )
            }
        }
        lines.append(
            "suggested preset: "
                + (report.suggestedPresets.isEmpty
                    ? "none fits this shape" : report.suggestedPresets.joined(separator: ", ")))
        if let mismatch = report.presetMismatch { lines.append("preset mismatch: \(mismatch)") }
        if let space = report.space { lines.append("space: \(space.rawValue)") }
        for warning in report.warnings { lines.append("warning: \(warning)") }
        for note in report.notes { lines.append("note: \(note)") }
        for key in report.metadata.keys.sorted() {
            lines.append("metadata \(key) = \(report.metadata[key]!)")
        }
        return lines
    }
}
