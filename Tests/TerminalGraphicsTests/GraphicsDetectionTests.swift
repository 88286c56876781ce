import Testing

@testable import TerminalGraphics

/// Detection from recorded answers of real terminals (`RecordedReplies`), and from the answers
/// other families are documented to give, as a pure function: no terminal, no tmux.
@Suite struct RecordedDetectionTests {
    let kittyEnvironment = ["TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1", "COLORTERM": "truecolor"]
    let tmuxEnvironment = [
        "TERM": "tmux-256color", "TERM_PROGRAM": "tmux", "TMUX": "/tmp/tmux-0/default,12003,0", "TMUX_PANE": "%0",
        "KITTY_WINDOW_ID": "1", "COLORTERM": "truecolor",
    ]

    func insideTmux(_ bytes: [UInt8], display: String) -> (ProbeReplies, TmuxInfo) {
        let (own, outer) = ProbeReplies.parseThroughTmux(bytes)
        var info = TmuxInfo.parse(display: display)
        info.outerReplies = outer
        return (own, info)
    }

    @Test func kittyDrawsWithTheKittyProtocol() {
        let report = GraphicsDetection.decide(
            environment: kittyEnvironment, replies: .parse(RecordedReplies.kitty), tmux: nil, choice: .auto)
        #expect(report.target == GraphicsTarget(graphics: .kitty, cellWidth: 9, cellHeight: 18, truecolor: true))
        #expect(report.signals.last?.name == "decision")
        #expect(
            report.signals.contains(
                GraphicsSignal(name: "terminal XTVERSION", value: "kitty(0.26.5)", meaning: "the terminal's own name and version")))
        #expect(!report.canEnablePassthrough && report.advice.isEmpty)
    }

    /// Debian's kitty 0.26.5 shows Unicode placeholders as empty boxes (seen under Xvfb), so it
    /// gets direct placements, each put at its cell on the terminal from the pane's origin.
    @Test func oldKittyInTmuxGetsDirectPlacementsAtThePanesPlace() {
        let (own, info) = insideTmux(RecordedReplies.kittyInTmuxPassthroughOn, display: RecordedReplies.kittyInTmuxPassthroughOnDisplay)
        #expect(info.outerReplies?.kittyGraphics == true)
        let report = GraphicsDetection.decide(environment: tmuxEnvironment, replies: own, tmux: info, choice: .auto)
        #expect(
            report.target
                == GraphicsTarget(
                    graphics: .kitty, tmuxPassthrough: true, cellWidth: 9, cellHeight: 18, truecolor: true,
                    paneOrigin: CellPosition(row: 0, column: 0)))
        #expect(
            report.signals.contains(
                GraphicsSignal(
                    name: "placeholders", value: "no",
                    meaning:
                        "kitty 0.26.5 has no Unicode placeholders: direct placements through passthrough; tmux will not move or clip them, so the workbench erases them itself"
                )))
        #expect(report.signals.contains { $0.name == "pane origin" && $0.value == "row 1, column 1" })
        #expect(report.advice.isEmpty && !report.canEnablePassthrough)
    }

    /// Without the pane's place (tmux could not be asked, or over ssh) a direct placement would
    /// land wherever tmux left the cursor: blocks, and the way out.
    @Test func oldKittyInTmuxWithoutThePanesPlaceGetsBlocksAndAnUpgradeHint() {
        let (own, recorded) = insideTmux(
            RecordedReplies.kittyInTmuxPassthroughOn, display: RecordedReplies.kittyInTmuxPassthroughOnDisplay)
        var info = recorded
        info.paneOrigin = nil
        let report = GraphicsDetection.decide(environment: tmuxEnvironment, replies: own, tmux: info, choice: .auto)
        #expect(report.target.graphics == .blocks && report.target.paneOrigin == nil)
        #expect(report.advice.count == 1 && report.advice[0].contains("kitty 0.28"))
        #expect(!report.canEnablePassthrough)
    }

    @Test func currentKittyInTmuxWithPassthroughUsesPlaceholders() {
        let newer = RecordedReplies.bytes(
            String(decoding: RecordedReplies.kittyInTmuxPassthroughOn, as: UTF8.self).replacingOccurrences(of: "0.26.5", with: "0.35.2"))
        let (own, info) = insideTmux(
            newer, display: RecordedReplies.kittyInTmuxPassthroughOnDisplay.replacingOccurrences(of: "0.26.5", with: "0.35.2"))
        let report = GraphicsDetection.decide(environment: tmuxEnvironment, replies: own, tmux: info, choice: .auto)
        #expect(
            report.target
                == GraphicsTarget(
                    graphics: .kitty, placeholders: true, tmuxPassthrough: true, cellWidth: 9, cellHeight: 18, truecolor: true,
                    paneOrigin: CellPosition(row: 0, column: 0)))
        #expect(report.advice.isEmpty)
    }

    @Test func passthroughOffGivesBlocksAndTheOfferToTurnItOn() {
        let display = RecordedReplies.kittyInTmuxPassthroughOffDisplay.replacingOccurrences(of: "0.26.5", with: "0.35.2")
        let (own, info) = insideTmux(RecordedReplies.kittyInTmuxPassthroughOff, display: display)
        #expect(info.allowPassthrough == .off && info.outerReplies == nil)
        let report = GraphicsDetection.decide(environment: tmuxEnvironment, replies: own, tmux: info, choice: .auto)
        #expect(report.target.graphics == .blocks)
        #expect(report.canEnablePassthrough)
        #expect(report.advice.contains { $0.contains("`tmux set -p allow-passthrough on`") })
    }

    /// Old kitty draws through passthrough too (direct placements), so turning it on is offered.
    @Test func passthroughOffAroundOldKittyOffersToTurnItOn() {
        let (own, info) = insideTmux(RecordedReplies.kittyInTmuxPassthroughOff, display: RecordedReplies.kittyInTmuxPassthroughOffDisplay)
        let report = GraphicsDetection.decide(environment: tmuxEnvironment, replies: own, tmux: info, choice: .auto)
        #expect(report.target == GraphicsTarget(graphics: .blocks, cellWidth: 10, cellHeight: 20, truecolor: true))
        #expect(report.canEnablePassthrough)
        #expect(report.advice.count == 1 && report.advice[0].contains("`tmux set -p allow-passthrough on`"))
    }

    @Test func xtermVT340DrawsSixelInItsGeometry() {
        let report = GraphicsDetection.decide(
            environment: ["TERM": "xterm"], replies: .parse(RecordedReplies.xtermVT340), tmux: nil, choice: .auto,
            windowCellSize: PixelSize(width: 6, height: 13))
        #expect(report.target == GraphicsTarget(graphics: .sixel, cellWidth: 6, cellHeight: 13, maxSixelWidth: 480, maxSixelHeight: 312))
    }

    @Test func xtermVT340InTmuxDrawsSixelThroughPassthrough() {
        let (own, info) = insideTmux(
            RecordedReplies.xtermVT340InTmuxPassthroughOn, display: RecordedReplies.xtermVT340InTmuxPassthroughOnDisplay)
        let report = GraphicsDetection.decide(
            environment: ["TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0"], replies: own, tmux: info, choice: .auto)
        #expect(
            report.target
                == GraphicsTarget(
                    graphics: .sixel, tmuxPassthrough: true, maxSixelWidth: 480, maxSixelHeight: 312,
                    paneOrigin: CellPosition(row: 0, column: 0)))
    }

    @Test func plainXtermGetsBlocksIn256Colours() {
        let report = GraphicsDetection.decide(
            environment: ["TERM": "xterm"], replies: .parse(RecordedReplies.xterm), tmux: nil, choice: .auto)
        #expect(report.target == GraphicsTarget(graphics: .blocks))
        #expect(report.signals.contains { $0.name == "cell size" && $0.meaning.hasPrefix("assumed") })
    }

    @Test func mltermDrawsSixel() {
        let report = GraphicsDetection.decide(
            environment: ["TERM": "mlterm", "MLTERM": "3.9.0"], replies: .parse(RecordedReplies.mlterm), tmux: nil, choice: .auto)
        #expect(report.target == GraphicsTarget(graphics: .sixel, cellWidth: 10, cellHeight: 19, truecolor: true))
    }

    /// xterm started from a kitty shell inherits `KITTY_WINDOW_ID`; its answers say otherwise.
    @Test func answersWinOverAnInheritedEnvironment() {
        let report = GraphicsDetection.decide(
            environment: ["TERM": "xterm", "KITTY_WINDOW_ID": "3"], replies: .parse(RecordedReplies.xterm), tmux: nil, choice: .auto)
        #expect(report.target.graphics == .blocks)
    }

    @Test func aChosenProtocolWinsAndKeepsTheGeometry() {
        let report = GraphicsDetection.decide(
            environment: kittyEnvironment, replies: .parse(RecordedReplies.kitty), tmux: nil, choice: .blocks)
        #expect(report.target == GraphicsTarget(graphics: .blocks, cellWidth: 9, cellHeight: 18, truecolor: true))
        let (own, info) = insideTmux(RecordedReplies.kittyInTmuxPassthroughOff, display: RecordedReplies.kittyInTmuxPassthroughOffDisplay)
        // kitty 0.26.5 has no placeholders: forcing kitty gives direct placements at the pane's place.
        let forced = GraphicsDetection.decide(environment: tmuxEnvironment, replies: own, tmux: info, choice: .kitty)
        #expect(
            forced.target.graphics == .kitty && !forced.target.placeholders && forced.target.tmuxPassthrough
                && forced.target.paneOrigin == CellPosition(row: 0, column: 0))
        #expect(!forced.advice.isEmpty)
    }
}

/// Families that cannot run here, from the answers they are documented to give.
@Suite struct SyntheticDetectionTests {
    func decide(_ environment: [String: String], _ replies: String?, choice: GraphicsChoice = .auto) -> GraphicsReport {
        GraphicsDetection.decide(
            environment: environment, replies: replies.map { .parse(Array($0.utf8)) }, tmux: nil, choice: choice)
    }

    @Test func iTerm2ShowsInlineImages() {
        let report = decide(["TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"], "\u{1B}P>|iTerm2 3.5.4\u{1B}\\\u{1B}[?62;4c")
        #expect(report.target.graphics == .iterm2 && report.target.truecolor)
    }

    @Test func iTerm2OverSSHIsKnownByLCTerminal() {
        #expect(decide(["LC_TERMINAL": "iTerm2", "TERM": "xterm-256color"], "\u{1B}[?62;4c").target.graphics == .iterm2)
    }

    @Test func minttyShowsInlineImages() {
        #expect(decide(["TERM": "mintty", "TERM_PROGRAM": "mintty"], "\u{1B}[?64;1;2;4;6;9;15;21;22;28;29c").target.graphics == .iterm2)
    }

    @Test func weztermSpeaksKitty() {
        let answers = "\u{1B}P>|WezTerm 20240203-110809-5046fc22\u{1B}\\\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?65;4;6;18;22c"
        #expect(decide(["TERM_PROGRAM": "WezTerm", "WEZTERM_EXECUTABLE": "/usr/bin/wezterm-gui"], answers).target.graphics == .kitty)
        // With its kitty support turned off it still shows iTerm2 images.
        #expect(decide(["TERM_PROGRAM": "WezTerm"], "\u{1B}[?65;4;6;18;22c").target.graphics == .iterm2)
    }

    @Test func ghosttySpeaksKitty() {
        let answers = "\u{1B}P>|ghostty 1.1.3\u{1B}\\\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[6;20;10t\u{1B}[?62;22c"
        let report = decide(["TERM": "xterm-ghostty", "TERM_PROGRAM": "ghostty", "GHOSTTY_RESOURCES_DIR": "/usr/share/ghostty"], answers)
        #expect(report.target == GraphicsTarget(graphics: .kitty, cellWidth: 10, cellHeight: 20, truecolor: true))
    }

    @Test func footDrawsSixelInItsGeometry() {
        let report = decide(["TERM": "foot"], "\u{1B}P>|foot(1.16.2)\u{1B}\\\u{1B}[?2;0;10000;10000S\u{1B}[?62;4;22c")
        #expect(report.target == GraphicsTarget(graphics: .sixel, maxSixelWidth: 10000, maxSixelHeight: 10000, truecolor: true))
    }

    @Test func windowsTerminalDrawsSixelFrom1_22() {
        let environment = ["WT_SESSION": "0b9f4e1c-0000-0000-0000-000000000000", "TERM": "xterm-256color"]
        #expect(decide(environment, "\u{1B}[?61;4;6;7;14;21;22;23;24;28;32;42c").target.graphics == .sixel)
        // Before 1.22: no attribute 4, but still 24-bit colour.
        #expect(decide(environment, "\u{1B}[?61;6;7;14;21;22;23;24;28;32;42c").target == GraphicsTarget(graphics: .blocks, truecolor: true))
    }

    @Test func konsolePrefersItsCompleteSixelOverItsPartialKitty() {
        let report = decide(["KONSOLE_VERSION": "230804", "TERM": "xterm-256color"], "\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;1;4c")
        #expect(report.target.graphics == .sixel)
        #expect(report.signals.last?.meaning.contains("Konsole") == true)
        #expect(report.signals.contains { $0.name == "KONSOLE_VERSION" && $0.meaning == "Konsole 23.08" })
        // Not asked (output to a file, say): from 22.04 Konsole draws sixel; before, nothing.
        #expect(decide(["KONSOLE_VERSION": "220402"], nil).target.graphics == .sixel)
        #expect(decide(["KONSOLE_VERSION": "211202"], nil).target.graphics == .blocks)
    }

    @Test func vsCodeShowsInlineImagesOnlyWithImagesEnabled() {
        #expect(decide(["TERM_PROGRAM": "vscode"], "\u{1B}[?1;2;4c").target.graphics == .iterm2)
        let off = decide(["TERM_PROGRAM": "vscode"], "\u{1B}[?1;2c")
        #expect(off.target.graphics == .blocks)
        #expect(off.advice.contains { $0.contains("terminal.integrated.enableImages") })
    }

    @Test func vteDrawsSixelOnlyWhenDA1SaysSo() {
        #expect(
            decide(["VTE_VERSION": "7600", "TERM": "xterm-256color"], "\u{1B}[?65;1;9c").target
                == GraphicsTarget(graphics: .blocks, truecolor: true))
        #expect(decide(["VTE_VERSION": "7800", "TERM": "xterm-256color"], "\u{1B}[?65;1;4;9c").target.graphics == .sixel)
    }

    @Test func contourDrawsSixel() {
        #expect(decide(["TERM": "contour"], "\u{1B}P>|contour 0.4.3\u{1B}\\\u{1B}[?64;4;6;9;15;22;29c").target.graphics == .sixel)
    }

    /// ssh drops TERM_PROGRAM, KITTY_WINDOW_ID and COLORTERM; the answers still say kitty.
    @Test func overSSHTheAnswersDecide() {
        let report = decide([:], "\u{1B}P>|kitty(0.35.2)\u{1B}\\\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;c")
        #expect(report.target.graphics == .kitty && report.target.truecolor)
    }

    @Test func withoutAnswersTheEnvironmentDecides() {
        let report = decide(["TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"], nil)
        #expect(report.target.graphics == .kitty)
        #expect(report.signals.contains { $0.name == "answers" && $0.value == "none" })
        #expect(decide(["TERM": "xterm-256color"], nil).target.graphics == .blocks)
    }

    @Test func tmux3_4DrawsSixelItselfWithoutPassthrough() {
        let own = ProbeReplies.parse(Array("\u{1B}P>|tmux 3.4\u{1B}\\\u{1B}[?1;2;4c".utf8))
        let info = TmuxInfo(version: TmuxVersion("3.4"), clientTermName: "foot", clientTermType: "foot(1.16.2)", allowPassthrough: .off)
        let report = GraphicsDetection.decide(
            environment: ["TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0"], replies: own, tmux: info, choice: .auto)
        #expect(report.target.graphics == .sixel && !report.target.tmuxPassthrough)
        #expect(!report.canEnablePassthrough)
    }

    @Test func ghosttyInTmuxUsesPlaceholdersAndWeztermInlineImages() {
        let environment = ["TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0"]
        let own = ProbeReplies.parse(Array("\u{1B}P>|tmux 3.5a\u{1B}\\\u{1B}[?1;2c".utf8))
        let ghostty = TmuxInfo(
            version: TmuxVersion("3.5a"), clientTermName: "xterm-ghostty", clientTermType: "ghostty 1.1.3", allowPassthrough: .on,
            outerReplies: .parse(Array("\u{1B}P>|ghostty 1.1.3\u{1B}\\\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;22c".utf8)))
        let placed = GraphicsDetection.decide(environment: environment, replies: own, tmux: ghostty, choice: .auto).target
        #expect(placed.graphics == .kitty && placed.placeholders && placed.tmuxPassthrough)
        // WezTerm has no Unicode placeholders, so kitty pictures would not stay in tmux's cells.
        let wezterm = TmuxInfo(
            version: TmuxVersion("3.5a"), clientTermName: "xterm-256color", clientTermType: "WezTerm 20240203-110809-5046fc22",
            allowPassthrough: .on,
            outerReplies: .parse(Array("\u{1B}P>|WezTerm 20240203\u{1B}\\\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?65;4;6;18;22c".utf8)))
        let inline = GraphicsDetection.decide(environment: environment, replies: own, tmux: wezterm, choice: .auto).target
        #expect(inline == GraphicsTarget(graphics: .iterm2, tmuxPassthrough: true, truecolor: true))
    }

    @Test func iTerm2InTmuxShowsInlineImagesThroughPassthrough() {
        let info = TmuxInfo(
            version: TmuxVersion("3.4"), clientTermName: "xterm-256color", clientTermType: "iTerm2 3.5.4", allowPassthrough: .on,
            outerReplies: .parse(Array("\u{1B}P>|iTerm2 3.5.4\u{1B}\\\u{1B}[?62;4c".utf8)))
        let report = GraphicsDetection.decide(
            environment: ["TERM": "screen-256color", "TERM_PROGRAM": "tmux", "TMUX": "/tmp/tmux-501/default,1,0"],
            replies: .parse(Array("\u{1B}P>|tmux 3.4\u{1B}\\\u{1B}[?1;2c".utf8)), tmux: info, choice: .auto)
        #expect(report.target == GraphicsTarget(graphics: .iterm2, tmuxPassthrough: true, truecolor: true))
    }

    @Test func tmuxIsKnownFromTheEnvironment() {
        #expect(GraphicsDetection.insideTmux(environment: ["TMUX": "/tmp/tmux-0/default,1,0", "TERM": "xterm-256color"]))
        #expect(GraphicsDetection.insideTmux(environment: ["TERM": "tmux-256color"]))
        #expect(GraphicsDetection.insideTmux(environment: ["TERM": "screen-256color", "TERM_PROGRAM": "tmux"]))
        #expect(!GraphicsDetection.insideTmux(environment: ["TERM": "screen-256color"]))
    }

    /// tmux could not be asked (its display timed out) and the wrapped queries came back empty: the
    /// kitty that tmux's server was started in is no reason to send kitty pictures.
    @Test func silenceThroughTmuxIsNotPassthrough() {
        let report = GraphicsDetection.decide(
            environment: ["TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default,1,0", "KITTY_WINDOW_ID": "1"],
            replies: .parse(Array("\u{1B}P>|tmux 3.3a\u{1B}\\\u{1B}[?1;2c".utf8)), tmux: TmuxInfo(), choice: .auto)
        #expect(report.target.graphics == .blocks && !report.canEnablePassthrough)
        #expect(report.advice.count == 1 && report.advice[0].hasPrefix("Nothing came back"))
    }

    /// ssh from inside a local tmux: only TERM says tmux, and tmux cannot be asked; what comes back
    /// through passthrough proves it open.
    @Test func tmuxOverSSHIsKnownByItsAnswers() {
        let info = TmuxInfo(outerReplies: .parse(Array("\u{1B}P>|kitty(0.35.2)\u{1B}\\\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;c".utf8)))
        let report = GraphicsDetection.decide(
            environment: ["TERM": "tmux-256color"], replies: .parse(Array("\u{1B}P>|tmux 3.3a\u{1B}\\\u{1B}[?1;2c".utf8)), tmux: info,
            choice: .auto)
        #expect(report.target.graphics == .kitty && report.target.placeholders && report.target.tmuxPassthrough)
        #expect(!report.canEnablePassthrough)
    }
}

@Suite struct ProbeRepliesTests {
    @Test func aRecordedBatchParses() {
        let replies = ProbeReplies.parse(RecordedReplies.kitty)
        #expect(
            replies
                == ProbeReplies(
                    terminalVersion: "kitty(0.26.5)", kittyGraphics: true, primaryAttributes: [62, 0],
                    cellSize: PixelSize(width: 9, height: 18)))
        #expect(replies.answered && !replies.sixel)
        #expect(ProbeReplies.parse(RecordedReplies.mlterm).sixelGeometry == nil)
        #expect(ProbeReplies.parse(RecordedReplies.xtermVT340).sixelGeometry == PixelSize(width: 480, height: 312))
    }

    @Test func tmuxAnswersAreToldFromTheOuterTerminals() {
        let (own, outer) = ProbeReplies.parseThroughTmux(RecordedReplies.kittyInTmuxPassthroughOn)
        #expect(own == ProbeReplies(terminalVersion: "tmux 3.3a", primaryAttributes: [1, 2]))
        #expect(outer?.terminalVersion == "kitty(0.26.5)" && outer?.kittyGraphics == true && outer?.primaryAttributes == [62, 0])
        #expect(ProbeReplies.parseThroughTmux(RecordedReplies.kittyInTmuxPassthroughOff).outer == nil)
    }

    @Test func keysAndFragmentsAreSkipped() {
        // A key typed during the probe, an OSC answer, then DA1 cut short.
        let bytes = Array("x\u{1B}]11;rgb:0000/0000/0000\u{1B}\\\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[?62;".utf8)
        #expect(TerminalReplies.sequences(in: bytes) == [.apc("Gi=31;OK")])
        #expect(!ProbeReplies.parse(bytes).answered)
        #expect(TerminalReplies.terminalVersion(in: Array("\u{1B}P>|XTerm(379)".utf8)) == nil)
    }

    @Test func onlyTheQuerysOwnOKCounts() {
        #expect(KittyQuery.supported(replies: Array("\u{1B}_Gi=31,p=1;OK\u{1B}\\".utf8)))
        #expect(!KittyQuery.supported(replies: Array("\u{1B}_Gi=32;OK\u{1B}\\".utf8)))
        #expect(!KittyQuery.supported(replies: Array("\u{1B}_Gi=31;EINVAL:bad\u{1B}\\".utf8)))
    }

    /// tmux takes a bare APC string as the pane's title, so the kitty query only goes wrapped.
    @Test func tmuxIsNeverSentTheBareKittyQuery() {
        let queries = TerminalProbe.tmuxQueries(passthrough: true)
        for index in queries.indices.dropFirst() where queries[index] == UInt8(ascii: "_") && queries[index - 1] == 0x1B {
            #expect(index >= 2 && queries[index - 2] == 0x1B)
        }
        #expect(!TerminalProbe.tmuxQueries(passthrough: false).contains(UInt8(ascii: "_")))
        #expect(TerminalProbe.directQueries.suffix(3) == Array("\u{1B}[c".utf8))
    }
}
