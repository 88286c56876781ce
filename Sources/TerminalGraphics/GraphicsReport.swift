/// What the user asked for: `--graphics` or `graphics = "…"` in config.toml.
public enum GraphicsChoice: String, Sendable, CaseIterable {
    case auto, kitty, iterm2, sixel, blocks, none
}

/// One thing detection looked at, for `latentty doctor`: its name (`TERM_PROGRAM`, `kitty query`),
/// what it said, and what that meant.
public struct GraphicsSignal: Sendable, Equatable {
    public var name: String
    public var value: String
    public var meaning: String

    public init(name: String, value: String, meaning: String) {
        self.name = name
        self.value = value
        self.meaning = meaning
    }
}

/// The outcome of detection: how to draw, every signal behind it, and advice a person can act on
/// (tmux's allow-passthrough being off, say).
public struct GraphicsReport: Sendable, Equatable {
    public var target: GraphicsTarget
    public var signals: [GraphicsSignal]
    public var advice: [String]

    public init(target: GraphicsTarget, signals: [GraphicsSignal] = [], advice: [String] = []) {
        self.target = target
        self.signals = signals
        self.advice = advice
    }
}

extension TerminalProbe {
    /// Detects how to draw pictures on the terminal at `input`/`output` within one short budget,
    /// unless `choice` names a protocol (then only the geometry is asked).
    public static func graphics(
        choice: GraphicsChoice, input: Int32, output: Int32, environment: [String: String]
    ) -> GraphicsReport {
        let capabilities = probe(input: input, output: output, environment: environment)
        let detected: GraphicsProtocol = capabilities.sixel ? .sixel : .blocks
        let chosen = GraphicsProtocol(rawValue: choice.rawValue) ?? detected
        let target = GraphicsTarget(
            graphics: chosen, cellWidth: capabilities.cellWidth ?? GraphicsTarget.defaultCellWidth,
            cellHeight: capabilities.cellHeight ?? GraphicsTarget.defaultCellHeight, maxSixelWidth: capabilities.maxSixelWidth,
            maxSixelHeight: capabilities.maxSixelHeight, truecolor: capabilities.truecolor)
        return GraphicsReport(target: target)
    }
}
