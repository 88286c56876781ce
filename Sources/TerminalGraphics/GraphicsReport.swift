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
    /// tmux's allow-passthrough is off for this pane and turning it on would let pictures through;
    /// `TmuxControl.enablePassthroughForPane` does that when the person agrees.
    public var canEnablePassthrough: Bool

    public init(target: GraphicsTarget, signals: [GraphicsSignal] = [], advice: [String] = [], canEnablePassthrough: Bool = false) {
        self.target = target
        self.signals = signals
        self.advice = advice
        self.canEnablePassthrough = canEnablePassthrough
    }
}
