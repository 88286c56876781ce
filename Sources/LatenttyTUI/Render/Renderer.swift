import Foundation
import LatentKit
import TerminalGraphics
import Workbench

/// Where a picture goes this frame (drawn after curses, straight to the terminal): a result in the
/// preview, or a latent's small picture in the latents pane (`jobID` is then the latent's id).
struct ImagePlacement: Equatable {
    var jobID: UUID
    var compareWith: UUID?
    var frame: Int
    var rect: Rect
}

/// Draws the state with curses. Reads the state, never changes it.
struct Renderer {
    let screen: Screen
    let palette: Palette
    let previewCaption: (UUID) -> String?
    /// The PSNR of a side-by-side pair once its picture was made (left, right).
    let comparisonPSNR: (UUID, UUID) -> Double?
    /// Whether the terminal draws pixels in cells as small as one (kitty, iTerm2, sixel): then each
    /// latent gets a small picture in the latents pane.
    var smallPictures = false
    /// Cells a latent's small picture takes before its name.
    static let smallPictureColumns = 2

    /// Draws everything; returns where pictures go: none under an overlay or in a too-small window.
    func draw(_ state: AppState) -> [ImagePlacement] {
        screen.erase()
        let layout = state.layout
        if layout.isTooSmall {
            let lines = [
                "latentty needs a terminal of at least \(Layout.minimumColumns)×\(Layout.minimumRows);",
                "this one is \(state.columns)×\(state.rows). Enlarge it, or press q to quit.",
            ]
            for (index, line) in lines.enumerated() { screen.draw(line, x: 0, y: index, width: state.columns, pair: palette.warning) }
            return []
        }
        screen.fill(Rect(x: 0, y: 0, width: state.columns, height: state.rows), pair: palette.normal)
        drawPresets(state, layout.presets)
        let thumbnails = drawSources(state, layout.sources)
        drawJobs(state, layout.jobs)
        let placement = drawPreview(state, layout.preview)
        drawDetails(state, layout.details)
        drawStatus(state, layout.status)
        if let overlay = state.overlay {
            drawOverlay(overlay, state)
            return []
        }
        return thumbnails + (placement.map { [$0] } ?? [])
    }

    private func frame(_ state: AppState, _ pane: Pane, _ rect: Rect, _ title: String) {
        let focused = state.focus == pane && state.overlay == nil
        screen.box(rect, title: title, pair: focused ? palette.focusBorder : palette.border, titlePair: palette.title, focused: focused)
    }

    private func row(_ text: String, _ rect: Rect, _ line: Int, selected: Bool, focused: Bool, pair: Int32? = nil) {
        let inner = rect.inner
        guard line < inner.height else { return }
        let padded = CellText.padded(text, to: inner.width)
        let attributes = selected ? (focused ? Screen.reverse : Screen.bold) : 0
        screen.draw(
            padded, x: inner.x, y: inner.y + line, width: inner.width,
            pair: selected && focused ? palette.selected : (pair ?? palette.normal), attributes: attributes)
    }

    private func drawPresets(_ state: AppState, _ rect: Rect) {
        frame(state, .presets, rect, "Presets · \(state.backend.label)")
        for (index, line) in state.viewport(of: .presets).placements {
            let preset = state.presets[index]
            let usable = preset.endpoints.isEmpty ? "local" : "remote+local"
            let text = "\(preset.name) · \(preset.latentChannels)ch · \(usable)"
            row(text, rect, line, selected: index == state.presetIndex, focused: state.focus == .presets)
        }
    }

    /// Returns where the latents' small pictures go (left of each name) when the terminal has them.
    private func drawSources(_ state: AppState, _ rect: Rect) -> [ImagePlacement] {
        frame(state, .sources, rect, "Latents (\(state.sources.count))")
        if state.sources.isEmpty {
            row("o open files · g generate", rect, 0, selected: false, focused: false, pair: palette.inactive)
            if let folder = state.watchedFolder {
                row("watching \(folder)", rect, 1, selected: false, focused: false, pair: palette.inactive)
            }
            return []
        }
        var pictures: [ImagePlacement] = []
        let inner = rect.inner
        let withPictures = smallPictures && inner.width > 4 * Self.smallPictureColumns
        for (index, line) in state.viewport(of: .sources).placements {
            let source = state.sources[index]
            let mark = state.selectedSources.contains(source.id) ? "●" : " "
            let shape = source.tensor.shape.map(String.init).joined(separator: "×")
            var gap = ""
            if withPictures, source.picture != nil, line < inner.height {
                gap = String(repeating: " ", count: Self.smallPictureColumns)
                let cells = Rect(x: inner.x, y: inner.y + line, width: Self.smallPictureColumns, height: 1)
                pictures.append(ImagePlacement(jobID: source.id, compareWith: nil, frame: 0, rect: cells))
            }
            row(
                "\(gap)\(mark)\(source.name) \(shape)", rect, line, selected: index == state.sourceIndex,
                focused: state.focus == .sources)
        }
        return pictures
    }

    private func drawJobs(_ state: AppState, _ rect: Rect) {
        frame(state, .jobs, rect, PaneTitles.jobs(state))
        let jobs = state.visibleJobs
        if jobs.isEmpty {
            row("select a latent and press d (or Enter) to decode", rect, 0, selected: false, focused: false, pair: palette.inactive)
            return
        }
        for (index, line) in state.viewport(of: .jobs).placements {
            let job = jobs[index]
            let selected = index == state.jobIndex
            let mark = state.compareMark == job.id ? "◆" : state.comparison?.right == job.id ? "◇" : " "
            row(
                "\(mark)\(JobText.stateLabel(job.state, kind: job.kind)) \(job.kind == .encode ? "encode " : "")\(job.name)  [\(job.backend.label)]",
                rect, line, selected: selected,
                focused: state.focus == .jobs,
                pair: pair(for: job.state))
            row(
                "   " + JobText.progressLine(job, width: rect.inner.width - 3), rect, line + 1, selected: false, focused: false,
                pair: job.state == .failed ? palette.error : palette.progress)
        }
    }

    private func pair(for state: JobState) -> Int32 {
        switch state {
        case .done: palette.ok
        case .failed: palette.error
        case .cancelled: palette.inactive
        default: palette.normal
        }
    }

    private func drawPreview(_ state: AppState, _ rect: Rect) -> ImagePlacement? {
        frame(state, .preview, rect, "Preview")
        guard let job = state.selectedJob else {
            row("decoded images appear here", rect, 0, selected: false, focused: false, pair: palette.inactive)
            return nil
        }
        // A video decoding on this machine is shown from its first frame on.
        let framesSoFar = job.state == .decoding && (job.frames?.done ?? 0) > 0
        guard job.state == .done || framesSoFar else {
            row(
                job.state == .failed ? "failed: \(job.error ?? "")" : "\(job.name): \(JobText.stateWord(job))…", rect, 0, selected: false,
                focused: false,
                pair: job.state == .failed ? palette.error : palette.inactive)
            return nil
        }
        let inner = rect.inner
        // The image area stays blank in curses; the picture is written over it afterwards.
        let imageRect = Rect(x: inner.x, y: inner.y, width: inner.width, height: max(0, inner.height - 1))
        let captionRow = inner.y + inner.height - 1
        if let comparison = state.comparison, comparison.contains(job.id) {
            drawComparisonLabels(comparison, state, x: inner.x, y: captionRow, width: inner.width)
            return ImagePlacement(jobID: comparison.left, compareWith: comparison.right, frame: state.playback.frame, rect: imageRect)
        }
        if let caption = previewCaption(job.id) {
            screen.draw(caption, x: inner.x, y: captionRow, width: inner.width, pair: palette.inactive)
        }
        return ImagePlacement(jobID: job.id, compareWith: nil, frame: state.playback.frame, rect: imageRect)
    }

    /// Each side's name under its half of a side-by-side picture (halves as `PreviewStore` lays
    /// them out), the PSNR after the right one.
    private func drawComparisonLabels(_ comparison: Comparison, _ state: AppState, x: Int, y: Int, width: Int) {
        let half = max(1, (width - 1) / 2)
        // An encode's result is the original picture; the decode of its latent is the round trip.
        let name = { (id: UUID) -> String in
            guard let job = state.jobs.first(where: { $0.id == id }) else { return "?" }
            if job.kind == .encode { return "original \(job.name)" }
            // Its own name already says so (`<image>_decoded`).
            return job.name
        }
        let psnr = comparisonPSNR(comparison.left, comparison.right).map {
            $0.isInfinite ? " · identical" : String(format: " · PSNR %.2f dB", $0)
        }
        screen.draw("◆ " + name(comparison.left), x: x, y: y, width: half, pair: palette.title)
        screen.draw("◇ " + name(comparison.right) + (psnr ?? ""), x: x + half + 1, y: y, width: width - half - 1, pair: palette.title)
    }

    private func drawDetails(_ state: AppState, _ rect: Rect) {
        let lines = DetailsText.lines(for: state)
        for (index, line) in lines.prefix(rect.height).enumerated() {
            screen.draw(line.text, x: rect.x + 1, y: rect.y + index, width: rect.width - 2, pair: pair(line.kind))
        }
    }

    private func pair(_ kind: StatusMessage.Kind) -> Int32 {
        switch kind {
        case .info: palette.normal
        case .success: palette.ok
        case .warning: palette.warning
        case .error: palette.error
        }
    }

    private func drawStatus(_ state: AppState, _ rect: Rect) {
        screen.draw(String(repeating: " ", count: rect.width), x: rect.x, y: rect.y, width: rect.width, pair: palette.status)
        if let message = state.status {
            screen.draw(
                " " + message.text, x: rect.x, y: rect.y, width: rect.width, pair: message.kind == .error ? palette.error : palette.status)
            return
        }
        for button in StatusBar.buttons(for: state) {
            let parts = button.text.split(separator: " ", maxSplits: 1)
            screen.draw(String(parts[0]), x: button.column, y: rect.y, width: parts[0].count, pair: palette.key, attributes: Screen.bold)
            if parts.count > 1 {
                screen.draw(" " + parts[1], x: button.column + parts[0].count, y: rect.y, width: parts[1].count + 1, pair: palette.status)
            }
        }
    }

    // MARK: - Overlays

    /// A box of `lines` (from `firstLine` on, as many as fit), `highlight` counted in `lines`.
    private func dialog(
        _ title: String, lines: [String], state: AppState, width: Int = 70, highlight: Int? = nil, firstLine: Int = 0
    ) {
        let box = state.layout.centered(width: width, height: lines.count + 2)
        screen.fill(box, pair: palette.normal)
        screen.box(box, title: title, pair: palette.focusBorder, titlePair: palette.title, focused: true)
        for (row, index) in (firstLine..<min(lines.count, firstLine + box.inner.height)).enumerated() {
            let selected = index == highlight
            screen.draw(
                CellText.padded(lines[index], to: box.inner.width), x: box.inner.x, y: box.inner.y + row, width: box.inner.width,
                pair: selected ? palette.selected : palette.normal, attributes: selected ? Screen.reverse : 0)
        }
        if lines.count > box.inner.height {
            let position = " \(firstLine + 1)–\(firstLine + box.inner.height) of \(lines.count) "
            screen.draw(
                position, x: box.x + box.width - 2 - position.count, y: box.y + box.height - 1, width: position.count, pair: palette.title)
        }
    }

    /// The latent2rgb picture in the inspect box, bottom left, as coloured half blocks.
    private func drawThumbnail(_ cells: [[HalfBlockCell]], box: Rect) {
        let top = box.y + box.height - 1 - cells.count
        for (row, line) in cells.enumerated() where top + row > box.y {
            for (column, cell) in line.enumerated() where column < box.width - 4 {
                let pair = screen.pair(
                    Int32(TerminalColors.index(cell.top, paletteSize: screen.paletteSize)),
                    Int32(TerminalColors.index(cell.bottom, paletteSize: screen.paletteSize)))
                screen.draw("▀", x: box.x + 2 + column, y: top + row, width: 1, pair: pair)
            }
        }
    }

    private func drawOverlay(_ overlay: Overlay, _ state: AppState) {
        switch overlay {
        case .help(let scroll):
            let viewport = HelpText.viewport(for: state, scroll: scroll)
            dialog(
                "Keys — \(state.focus.rawValue) pane (↑↓ PgUp PgDn scroll, Esc closes)", lines: HelpText.lines(for: state), state: state,
                width: HelpText.width, firstLine: viewport.first)
        case .confirmQuit:
            dialog(
                "Quit?",
                lines: [
                    PaneTitles.unfinishedJobs(state), "They are journaled and resume next time.", "",
                    "Enter, q or ^C: quit   Esc: stay",
                ], state: state, width: 50)
        case .filter(let field):
            dialog("Filter jobs", lines: ["\(field.text)▏", "", "Enter keeps the filter, Esc closes"], state: state, width: 50)
        case .watch(let field):
            dialog(
                "Watch a folder",
                lines: [
                    "\(field.text)▏", "", "New latent files there are loaded and decoded as they appear.",
                    "Enter starts watching, Esc cancels",
                ], state: state)
        case .inspect(let id):
            let source = state.sources.first { $0.id == id }
            let thumbnail = source?.thumbnail ?? []
            let lines =
                (source.map(InspectText.lines) ?? ["gone"]) + [String](repeating: "", count: thumbnail.count + (thumbnail.isEmpty ? 0 : 1))
            dialog("Inspect \(source?.name ?? "")", lines: lines, state: state, width: 76)
            drawThumbnail(thumbnail, box: state.layout.centered(width: 76, height: lines.count + 2))
        case .open(let dialogState):
            let visible = dialogState.visible
            var lines = ["path: \(dialogState.path)▏", "Tab completes · Space selects · Enter opens · Esc cancels", ""]
            let listHeight = max(1, min(12, state.rows - 10))
            let range = Viewport(selected: dialogState.index, itemCount: visible.count, rows: listHeight).items
            for index in range {
                let entry = visible[index]
                let mark = dialogState.selected.contains(dialogState.path(of: entry)) ? "●" : " "
                lines.append("\(mark) \(entry.isRecent ? "↺ " : "")\(entry.name)\(entry.isDirectory ? "/" : "")")
            }
            if visible.isEmpty { lines.append("  (no latent files here)") }
            if !dialogState.selected.isEmpty { lines.append("\(dialogState.selected.count) selected") }
            if !dialogState.recent.isEmpty {
                lines.append(
                    "recent: " + dialogState.recent.prefix(3).map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))
            }
            let highlight = visible.isEmpty ? nil : 3 + (dialogState.index - range.lowerBound)
            dialog("Open latents", lines: lines, state: state, width: 76, highlight: highlight)
        case .generate(let form):
            let preset = state.presets.indices.contains(form.presetIndex) ? state.presets[form.presetIndex] : nil
            let fields = [
                "preset   ◂ \(preset?.name ?? "?") ▸", "size     \(form.size.text)",
                "frames   \(preset?.isVideo == true ? form.frames.text : "— (image model)")",
                "seed     \(form.seed.text)", "count    \(form.count.text)", "dtype    ◂ \(form.dtype.rawValue) ▸",
            ]
            let lines = fields + ["", "Tab/↑↓ field · ←→ choose · Enter generates · Esc cancels"]
            dialog("Generate noise latents", lines: lines, state: state, width: 64, highlight: form.focus.rawValue)
        case .presetForm(let form):
            let fields = [
                "endpoint     \(form.endpoint.text)", "output type  ◂ \(form.outputType.rawValue) ▸",
                "image format ◂ \(form.imageFormat.rawValue) ▸",
                "concurrency  \(form.concurrency.text)",
            ]
            let lines = fields + ["", "Enter saves to config.toml · Esc cancels"]
            dialog("Preset \(form.presetID)", lines: lines, state: state, width: 76, highlight: form.focus.rawValue)
        }
    }
}
