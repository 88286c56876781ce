/// How to draw pictures, decided from what the environment, the terminal and tmux said. Pure, so
/// every terminal family is tested from recorded answers, and every step is kept as a signal so
/// `latentty doctor` can say why someone got half blocks.
///
/// Answers to the probe win over the environment: the environment survives where it should not
/// (a terminal started from kitty inherits `KITTY_WINDOW_ID`; tmux keeps the variables of the
/// terminal its server started in) and is lost where it should not (ssh, sudo).
public enum GraphicsDetection {
    /// `TMUX` is set in tmux's panes; over ssh only `TERM` (`tmux-256color`, or `screen-…` with
    /// `TERM_PROGRAM=tmux`) is left to tell.
    /// Truecolor from `COLORTERM`, as terminals advertise it.
    public static func truecolor(_ environment: [String: String]) -> Bool {
        let value = environment["COLORTERM"]?.lowercased() ?? ""
        return value == "truecolor" || value == "24bit"
    }

    public static func insideTmux(environment: [String: String]) -> Bool {
        let term = environment["TERM"] ?? ""
        return environment["TMUX"] != nil || term.hasPrefix("tmux")
            || (term.hasPrefix("screen") && environment["TERM_PROGRAM"] == "tmux")
    }

    public static func decide(
        environment: [String: String], replies: ProbeReplies?, tmux: TmuxInfo?, choice: GraphicsChoice,
        windowCellSize: PixelSize? = nil
    ) -> GraphicsReport {
        var detection = Detection(environment: environment, replies: replies, tmux: tmux, windowCellSize: windowCellSize)
        return detection.report(choice: choice)
    }
}

/// One run of the decision, collecting signals and advice as it goes.
private struct Detection {
    let environment: [String: String]
    let replies: ProbeReplies?
    let tmux: TmuxInfo?
    let windowCellSize: PixelSize?
    let inTmux: Bool
    var signals: [GraphicsSignal] = []
    var advice: [String] = []
    var canEnablePassthrough = false

    init(environment: [String: String], replies: ProbeReplies?, tmux: TmuxInfo?, windowCellSize: PixelSize?) {
        self.environment = environment
        self.replies = replies
        self.tmux = tmux
        self.windowCellSize = windowCellSize
        inTmux =
            tmux != nil || GraphicsDetection.insideTmux(environment: environment)
            || replies?.terminalVersion?.hasPrefix("tmux") == true
    }

    mutating func note(_ name: String, _ value: String, _ meaning: String) {
        signals.append(GraphicsSignal(name: name, value: value, meaning: meaning))
    }

    /// The answers of the terminal that draws: the outer one inside tmux.
    var display: ProbeReplies? { inTmux ? tmux?.outerReplies : replies }

    mutating func report(choice: GraphicsChoice) -> GraphicsReport {
        let environmentIdentity = readEnvironment()
        readReplies()
        let identity = outerIdentity() ?? environmentIdentity
        var (target, why) = inTmux ? pickInsideTmux(identity: identity, choice: choice) : pick(identity: identity, choice: choice)
        applyGeometry(to: &target, identity: identity)
        if target.tmuxPassthrough { target.paneOrigin = tmux?.paneOrigin }
        note("decision", target.summary, why)
        return GraphicsReport(target: target, signals: signals, advice: advice, canEnablePassthrough: canEnablePassthrough)
    }

    // MARK: What was said

    /// Records every variable detection looks at and returns the terminal they name, most specific
    /// first: `TERM_PROGRAM` is set by the terminal the shell runs in, while `KITTY_WINDOW_ID` and the
    /// like are inherited by anything started from there.
    mutating func readEnvironment() -> TerminalIdentity? {
        let inherited = inTmux ? " (inside tmux this names the terminal tmux's server started in, which may not be this one)" : ""
        var found: [TerminalIdentity] = []
        func named(_ family: TerminalFamily, _ version: String? = nil, _ source: String) {
            found.append(TerminalIdentity(family: family, version: version, source: source))
        }
        if let value = environment["TERM_PROGRAM"] {
            if let family = TerminalFamily.fromTermProgram(value) {
                note("TERM_PROGRAM", value, "\(family.rawValue)\(inherited)")
                named(family, environment["TERM_PROGRAM_VERSION"], "TERM_PROGRAM")
            } else {
                note("TERM_PROGRAM", value, value == "tmux" ? "inside tmux" : "not a terminal known to draw pictures")
            }
        }
        if let value = environment["LC_TERMINAL"] {
            let iterm = value == "iTerm2"
            note("LC_TERMINAL", value, iterm ? "iTerm2 (ssh forwards LC_* variables, so this survives a login elsewhere)" : "not iTerm2")
            if iterm { named(.iterm2, environment["LC_TERMINAL_VERSION"], "LC_TERMINAL") }
        }
        let markers: [(String, TerminalFamily, String)] = [
            ("KITTY_WINDOW_ID", .kitty, "started in a kitty window"),
            ("GHOSTTY_RESOURCES_DIR", .ghostty, "started in Ghostty"),
            ("WEZTERM_EXECUTABLE", .wezterm, "started in WezTerm"),
            ("WT_SESSION", .windowsTerminal, "started in Windows Terminal (sixel from 1.22; its answers decide)"),
            ("MLTERM", .mlterm, "started in mlterm"),
        ]
        for (name, family, meaning) in markers {
            guard let value = environment[name] else { continue }
            note(name, value, meaning + inherited)
            named(family, nil, name)
        }
        if let value = environment["KONSOLE_VERSION"] {
            // 220402 is 22.04.2.
            let version = Int(value).map { "\($0 / 10000).\($0 / 100 % 100 < 10 ? "0" : "")\($0 / 100 % 100)" } ?? value
            note("KONSOLE_VERSION", value, "Konsole \(version)\(inherited)")
            named(.konsole, version, "KONSOLE_VERSION")
        }
        if let value = environment["VTE_VERSION"] {
            note("VTE_VERSION", value, "a VTE terminal (GNOME Terminal, Tilix, …): sixel only where DA1 says so\(inherited)")
            named(.vte, value, "VTE_VERSION")
        }
        if let value = environment["TERM"] {
            if let family = TerminalFamily.fromTerm(value) {
                note("TERM", value, "\(family.rawValue)'s terminfo entry")
                named(family, nil, "TERM")
            } else if value.hasPrefix("tmux") || value.hasPrefix("screen") {
                note("TERM", value, "inside tmux or screen: the terminal outside must be asked")
            } else {
                note(
                    "TERM", value,
                    value.hasPrefix("xterm") ? "xterm-compatible, which says nothing about pictures" : "says nothing about pictures")
            }
        }
        if let value = environment["TMUX"] { note("TMUX", value, "inside tmux") }
        if let value = environment["COLORTERM"] {
            note("COLORTERM", value, GraphicsDetection.truecolor(environment) ? "24-bit colour" : "no 24-bit colour claimed")
        }
        return found.first
    }

    mutating func readReplies() {
        guard let replies else {
            note("answers", "none", "the terminal was not asked: the environment decides")
            return
        }
        record(replies, from: inTmux ? "tmux" : "terminal", askedKitty: !inTmux)
        if inTmux, let tmux {
            if let version = tmux.version { note("tmux version", version.text, "from tmux display") }
            if let name = tmux.clientTermName { note("client_termname", name, "the TERM of the terminal tmux is shown in") }
            if let type = tmux.clientTermType { note("client_termtype", type, "that terminal's own XTVERSION answer, as tmux kept it") }
            if let passthrough = tmux.allowPassthrough {
                note(
                    "allow-passthrough", passthrough.rawValue,
                    passthrough == .off
                        ? "tmux drops wrapped escapes from this pane" : "tmux forwards wrapped escapes to the terminal outside")
            } else if let version = tmux.version, !version.hasPassthroughOption {
                note("allow-passthrough", "(none)", "tmux before 3.3 always forwards wrapped escapes")
            }
            if let origin = tmux.paneOrigin {
                note("pane origin", origin.description, "where this pane's top-left cell is on the terminal outside tmux")
            }
            if let outer = tmux.outerReplies {
                record(outer, from: "outer terminal", askedKitty: true)
            } else {
                note("outer terminal", "no answer", "nothing came back through passthrough")
            }
        }
    }

    /// `askedKitty` is false for tmux itself, which is never sent the kitty query.
    mutating func record(_ replies: ProbeReplies, from who: String, askedKitty: Bool) {
        guard replies.answered else {
            note("\(who) DA1", "no answer", "the answers did not arrive in time, so their silence rules nothing out")
            return
        }
        if let version = replies.terminalVersion { note("\(who) XTVERSION", version, "the terminal's own name and version") }
        if askedKitty {
            note(
                "\(who) kitty query", replies.kittyGraphics ? "OK" : "no answer",
                replies.kittyGraphics ? "speaks the kitty graphics protocol" : "no kitty graphics")
        }
        let attributes = replies.primaryAttributes ?? []
        note(
            "\(who) DA1", attributes.map(String.init).joined(separator: ";"),
            TerminalReplies.supportsSixel(attributes: attributes) ? "attribute 4: sixel" : "no attribute 4: no sixel")
        if let geometry = replies.sixelGeometry { note("\(who) XTSMGRAPHICS", geometry.description, "sixel images up to this size") }
        if let cell = replies.cellSize { note("\(who) CSI 16 t", cell.description, "pixels per cell") }
    }

    /// The terminal that draws, from what it or tmux said; nil leaves it to the environment.
    func outerIdentity() -> TerminalIdentity? {
        if let version = display?.terminalVersion, let identity = TerminalIdentity.fromVersionReply(version, source: "XTVERSION") {
            return identity
        }
        guard inTmux, let tmux else { return nil }
        if let type = tmux.clientTermType, let identity = TerminalIdentity.fromVersionReply(type, source: "client_termtype") {
            return identity
        }
        if let name = tmux.clientTermName, let family = TerminalFamily.fromTerm(name) {
            return TerminalIdentity(family: family, source: "client_termname")
        }
        return nil
    }

    // MARK: Deciding

    /// A protocol and why; the decision is noted last, once geometry and colour are known.
    typealias Decision = (target: GraphicsTarget, why: String)

    func decided(_ target: GraphicsTarget, _ why: String) -> Decision { (target, why) }

    mutating func pick(identity: TerminalIdentity?, choice: GraphicsChoice) -> Decision {
        if let forced = GraphicsProtocol(rawValue: choice.rawValue), choice != .auto {
            return decided(GraphicsTarget(graphics: forced), "chosen with --graphics or config.toml")
        }
        let answers = display ?? ProbeReplies()
        let name = identity?.name ?? "this terminal"
        if identity?.family == .konsole, answers.sixel {
            return decided(
                GraphicsTarget(graphics: .sixel),
                "Konsole draws sixel fully, while its kitty protocol lacks Unicode placeholders and parts of placement")
        }
        if answers.kittyGraphics { return decided(GraphicsTarget(graphics: .kitty), "\(name) answered the kitty query") }
        if !answers.answered, let identity, identity.family.speaksKitty, identity.family != .konsole {
            return decided(
                GraphicsTarget(graphics: .kitty),
                "\(identity.name) (by \(identity.source)) speaks the kitty protocol; no answers to say otherwise")
        }
        if let identity, identity.family.drawsITermImages {
            if identity.family == .vscode, answers.answered, !answers.sixel {
                advice.append(
                    "VS Code draws pictures only with \"terminal.integrated.enableImages\": true in its settings; then reopen the terminal."
                )
                return decided(GraphicsTarget(graphics: .blocks), "VS Code's image support is off (its DA1 has no attribute 4)")
            }
            return decided(GraphicsTarget(graphics: .iterm2), "\(identity.name) (by \(identity.source)) shows iTerm2 inline images")
        }
        if answers.sixel { return decided(GraphicsTarget(graphics: .sixel), "\(name) answered that it draws sixel") }
        if !answers.answered, identity?.family == .konsole, let version = identity?.version,
            let numbers = TerminalIdentity.numbers(version), !numbers.lexicographicallyPrecedes([22, 4])
        {
            return decided(GraphicsTarget(graphics: .sixel), "Konsole \(version) draws sixel (from 22.04); no answers to say otherwise")
        }
        return decided(
            GraphicsTarget(graphics: .blocks),
            answers.answered
                ? "no kitty answer, no sixel in DA1, and not a terminal that shows iTerm2 images"
                : "no answers from the terminal and nothing in the environment names one that draws pictures")
    }

    mutating func pickInsideTmux(identity: TerminalIdentity?, choice: GraphicsChoice) -> Decision {
        // tmux could not say, yet it answered the probe and nothing came back through the wrapped
        // queries: passthrough does not work here, whatever the reason.
        let unanswered = tmux?.passthroughWorks == nil && replies?.answered == true
        let passthrough = unanswered ? false : tmux?.passthroughWorks
        let tmuxSixel = replies?.sixel == true
        let outer = tmux?.outerReplies ?? ProbeReplies()
        let name = identity?.name ?? "the terminal outside tmux"
        var why = "nothing known to draw pictures through tmux"
        if let forced = GraphicsProtocol(rawValue: choice.rawValue), choice != .auto {
            let wrapped = forced == .kitty || forced == .iterm2 || (forced == .sixel && !tmuxSixel)
            if wrapped, passthrough == false { advisePassthrough(unanswered: unanswered) }
            // A terminal known to lack placeholders gets direct placements, which can still be put
            // at the pane's place.
            let placeholders = forced == .kitty && identity?.drawsPlaceholders != false
            return decided(
                GraphicsTarget(graphics: forced, placeholders: placeholders, tmuxPassthrough: wrapped),
                "chosen with --graphics or config.toml" + (wrapped ? "; wrapped for tmux's passthrough" : ""))
        }
        if passthrough != false {
            let kitty = outer.kittyGraphics || (!outer.answered && identity?.family.speaksKitty == true)
            if kitty, let identity, !identity.drawsPlaceholders {
                if identity.family == .kitty, let origin = tmux?.paneOrigin {
                    note(
                        "placeholders", "no",
                        "\(identity.name) has no Unicode placeholders: direct placements through passthrough; tmux will not move or clip them, so the workbench erases them itself"
                    )
                    return decided(
                        GraphicsTarget(graphics: .kitty, tmuxPassthrough: true),
                        "\(identity.name) speaks the kitty protocol; each picture is placed at its cell on the terminal (this pane starts at \(origin))"
                    )
                }
                if identity.family == .kitty { adviseKittyUpgrade(identity) }
                why =
                    "\(identity.name) cannot draw kitty pictures as text cells (Unicode placeholders), and tmux did not say where its pane is"
                note("placeholders", "no", why)
            } else if kitty {
                return decided(
                    GraphicsTarget(graphics: .kitty, placeholders: true, tmuxPassthrough: true),
                    "\(name) speaks the kitty protocol (\(outer.kittyGraphics ? "it answered through passthrough" : "by \(identity?.source ?? "name")")); Unicode placeholders keep the picture in tmux's cells"
                )
            }
            if let identity, identity.family.drawsITermImages {
                return decided(
                    GraphicsTarget(graphics: .iterm2, tmuxPassthrough: true),
                    "\(identity.name) (by \(identity.source)) shows iTerm2 inline images")
            }
        }
        if tmuxSixel {
            return decided(
                GraphicsTarget(graphics: .sixel), "tmux draws sixel itself (3.4 or newer, built with sixel): its DA1 has attribute 4")
        }
        if passthrough != false, outer.sixel {
            return decided(
                GraphicsTarget(graphics: .sixel, tmuxPassthrough: true), "\(name) answered through passthrough that it draws sixel")
        }
        if passthrough == false {
            advisePassthrough(unanswered: unanswered)
            return decided(
                GraphicsTarget(graphics: .blocks),
                unanswered
                    ? "nothing came back through tmux's passthrough, so no picture escape is known to reach \(name)"
                    : "tmux's allow-passthrough is off, so no picture escape reaches \(name)")
        }
        return decided(GraphicsTarget(graphics: .blocks), why)
    }

    /// Advice for passthrough not working; the offer to turn it on is made only when tmux said it
    /// is off (so the option exists).
    mutating func advisePassthrough(unanswered: Bool) {
        guard !unanswered else {
            advice.append(
                "Nothing came back from the terminal outside tmux: with tmux 3.3 or newer, `tmux set -p allow-passthrough on` lets pictures through."
            )
            return
        }
        canEnablePassthrough = environment["TMUX"] != nil && tmux?.version?.hasPassthroughOption != false && tmux?.allowPassthrough == .off
        advice.append(
            "tmux blocks pictures: allow-passthrough is off for this pane; `tmux set -p allow-passthrough on` lets them through for this pane only (or add `set -g allow-passthrough on` to ~/.tmux.conf for every pane)."
        )
    }

    mutating func adviseKittyUpgrade(_ identity: TerminalIdentity) {
        advice.append(
            "\(identity.name) predates Unicode placeholders (kitty 0.28), and tmux did not say where this pane is for a direct placement: upgrade kitty, or run latentty outside tmux."
        )
    }

    // MARK: Geometry and colour

    mutating func applyGeometry(to target: inout GraphicsTarget, identity: TerminalIdentity?) {
        if let cell = windowCellSize {
            note("TIOCGWINSZ", cell.description, "pixels per cell from the window size")
            (target.cellWidth, target.cellHeight) = (cell.width, cell.height)
        } else if let cell = display?.cellSize ?? replies?.cellSize {
            (target.cellWidth, target.cellHeight) = (cell.width, cell.height)
        } else {
            note(
                "cell size", "\(GraphicsTarget.defaultCellWidth)×\(GraphicsTarget.defaultCellHeight)",
                "assumed: neither the window size nor CSI 16 t gave one")
        }
        if target.graphics == .sixel {
            let sixelReplies = target.tmuxPassthrough || !inTmux ? display : replies
            if let geometry = sixelReplies?.sixelGeometry {
                target.maxSixelWidth = geometry.width
                target.maxSixelHeight = geometry.height
            }
        }
        if GraphicsDetection.truecolor(environment) {
            target.truecolor = true
        } else if let identity, identity.family.truecolor {
            target.truecolor = true
            note("truecolor", "yes", "\(identity.family.rawValue) draws 24-bit colour though COLORTERM does not say so")
        }
    }

}
