import Foundation
import LatentKit
import RemoteDecode
import Workbench

/// Words and numbers for jobs: state labels, progress bars, elapsed time and ETA.
public enum JobText {
    /// The state in a word: an encode job's engine time reads `encoding`.
    public static func stateWord(_ job: JobStatus) -> String {
        job.kind == .encode && job.state == .decoding ? "encoding" : job.state.rawValue
    }

    /// An encode job's engine time reads `encoding`.
    public static func stateLabel(_ state: JobState, kind: JobKind = .decode) -> String {
        if kind == .encode, state == .decoding { return "⚙ encoding   " }
        return switch state {
        case .queued: "· queued     "
        case .uploading: "↑ uploading  "
        case .waiting: "… waiting    "
        case .downloading: "↓ downloading"
        case .decoding: "⚙ decoding   "
        case .done: "✓ done       "
        case .failed: "✗ failed     "
        case .cancelled: "– cancelled  "
        }
    }

    /// `[████····] 62%  ↑ 1.2 MB/2.0 MB  ↓ 0 B  3.1 s  ETA 2 s  retries 1`
    public static func progressLine(_ job: JobStatus, width: Int, now: Date = Date()) -> String {
        if job.state == .failed { return CellText.truncated(job.error ?? "failed", to: width) }
        let p = job.progress
        // Upload fills the first half of the bar, download the second; waiting sits at the middle.
        let fraction: Double
        switch job.state {
        case .done: fraction = 1
        case .queued: fraction = 0
        case .uploading: fraction = p.uploadTotal > 0 ? 0.5 * Double(p.uploaded) / Double(p.uploadTotal) : 0
        case .waiting: fraction = 0.5
        case .downloading: fraction = p.downloadTotal > 0 ? 0.5 + 0.5 * min(1, Double(p.downloaded) / Double(p.downloadTotal)) : 0.5
        case .decoding: fraction = job.frames.map { $0.total > 0 ? min(1, Double($0.done) / Double($0.total)) : 0 } ?? 0
        default: fraction = 0
        }
        let barWidth = 12
        let filled = Int((fraction * Double(barWidth)).rounded())
        var parts = [
            "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: barWidth - filled) + "]",
            String(format: "%3d%%", Int(fraction * 100)),
        ]
        if p.uploadTotal > 0 || p.downloaded > 0 { parts.append("↑\(ByteCount.text(p.uploaded)) ↓\(ByteCount.text(p.downloaded))") }
        if job.state == .decoding, let frames = job.frames { parts.append(frames.text) }
        if let elapsed = job.elapsed(now: now) {
            parts.append(String(format: "%.1f s", elapsed))
            if !job.state.isFinished, job.frames == nil, fraction > 0.05, fraction < 1 {
                parts.append(String(format: "ETA %.0f s", elapsed * (1 - fraction) / fraction))
            }
        }
        if job.retries > 0 { parts.append("retries \(job.retries)") }
        let line = parts.joined(separator: "  ")
        return CellText.truncated(line, to: width)
    }
}

/// The three detail lines under the panes, for whatever has focus.
enum DetailsText {
    struct Line {
        var text: String
        var kind: StatusMessage.Kind = .info
    }

    static func lines(for state: AppState) -> [Line] {
        switch state.focus {
        case .presets:
            guard let preset = state.selectedPreset else { return [] }
            var facts = "\(preset.name): \(preset.latentChannels) channels, /\(preset.spatialFactor)"
            if let temporal = preset.temporalFactor { facts += ", temporal /\(temporal)" }
            facts += String(format: ", scale %g", preset.scalingFactor)
            if let shift = preset.shiftFactor { facts += String(format: ", shift %g", shift) }
            if preset.packed { facts += ", packed ok" }
            let endpoint =
                preset.endpoints.first.map {
                    "endpoint \($0)" + (preset.endpoints.count > 1 ? " (+\(preset.endpoints.count - 1) failover)" : "")
                } ?? "no endpoint (local only)"
            let target = state.backend(for: preset).map { "its latents go to \($0)" } ?? "remote chosen, but it has no endpoint"
            return [
                Line(text: facts), Line(text: endpoint),
                Line(
                    text:
                        "\(target) · output \(preset.outputType.rawValue)/\(preset.imageFormat.rawValue) · concurrency \(state.concurrency[preset.id] ?? preset.concurrency)"
                ),
            ]
        case .sources:
            guard let source = state.selectedSource else { return [Line(text: "no latents loaded yet")] }
            let shape = source.tensor.shape.shapeText
            var lines = [
                Line(
                    text:
                        "\(source.name): \(shape) \(source.tensor.dtype.rawValue), \(source.space.rawValue) space, preset \(source.presetID) · \(source.source.summary)"
                )
            ]
            if let report = source.report {
                lines.append(
                    Line(
                        text: String(
                            format: "min %.3f  max %.3f  mean %.3f  std %.3f", report.stats.min, report.stats.max, report.stats.mean,
                            report.stats.std)))
                if let warning = report.warnings.first { lines.append(Line(text: "⚠ " + warning, kind: .warning)) }
            }
            return lines
        case .jobs, .preview:
            guard let job = state.selectedJob else { return [Line(text: "no jobs yet")] }
            let place = job.endpoint.map { "endpoint \($0)" } ?? job.backend.description
            let what = job.kind == .encode ? "encode \(job.name)" : job.name
            var lines = [Line(text: "\(what) · \(JobText.stateWord(job)) · \(place)")]
            if !job.timings.isEmpty {
                let timings = job.timings.keys.sorted().map { String(format: "%@ %.2fs", $0, job.timings[$0]!) }.joined(separator: "  ")
                lines.append(
                    Line(text: timings + "  ↑\(ByteCount.text(job.progress.uploaded)) ↓\(ByteCount.text(job.progress.downloaded))"))
            }
            if let failure = job.failure {
                lines.append(Line(text: failure.description, kind: .error))
                lines.append(Line(text: remedy(for: failure, state: state), kind: .warning))
            } else if let output = job.outputs.first(where: { !$0.hasSuffix(".json") }) {
                lines.append(Line(text: "→ \(output)"))
            } else if let reason = job.lastRetryReason {
                lines.append(Line(text: "retry \(job.retries): \(reason)", kind: .warning))
            }
            return lines
        }
    }
}

/// What to do about a failed job, with the keys that do it.
func remedy(for failure: JobFailure, state: AppState) -> String {
    func key(_ command: Command) -> String { state.keyMap.keys(for: command, in: .jobs).first?.label ?? command.rawValue }
    if case .invalidImage = failure {
        return "open a smaller image, or \(key(.sendElsewhere)) sends it to the preset's encode endpoint"
    }
    switch failure.remedy {
    case .retry: return "\(key(.retry)) retries it · \(key(.sendElsewhere)) sends it to the other backend"
    case .otherBackend: return "\(key(.sendElsewhere)) sends it to the other backend · \(key(.toggleBackend)) switches where new jobs go"
    case .fixInput: return "the latent does not fit its preset: check the file (i inspects) or load it with another preset"
    case .checkOutput: return "check the output folder (space, permissions), then \(key(.retry)) retries"
    }
}

/// The inspect overlay for a loaded latent.
enum InspectText {
    static func lines(_ source: LoadedLatent) -> [String] {
        var lines = [
            "\(source.tensor.shape.shapeText) \(source.tensor.dtype.rawValue) · \(source.space.rawValue) space · \(source.source.summary)"
        ]
        guard let report = source.report else { return lines + ["(statistics are being computed)"] }
        lines.append(
            String(
                format: "all: min %.4f max %.4f mean %.4f std %.4f", report.stats.min, report.stats.max, report.stats.mean, report.stats.std
            ))
        if report.stats.nanCount + report.stats.infCount > 0 {
            lines.append("non-finite: \(report.stats.nanCount) NaN, \(report.stats.infCount) Inf")
        }
        for (index, channel) in report.channels.prefix(16).enumerated() {
            lines.append(
                String(format: "  ch %2d  mean %+.4f  std %.4f  [%+.3f, %+.3f]", index, channel.mean, channel.std, channel.min, channel.max)
            )
        }
        lines.append("suggested preset: " + (report.suggestedPresets.isEmpty ? "none" : report.suggestedPresets.joined(separator: ", ")))
        lines += report.warnings.map { "⚠ " + $0 }
        lines += report.notes.map { "note: " + $0 }
        return lines
    }
}
