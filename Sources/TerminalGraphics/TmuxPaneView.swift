/// Whether latentty's tmux pane is on screen, and where: pictures sent through passthrough without
/// placeholders are unknown to tmux, so it neither hides them when another window or a zoomed pane
/// covers ours nor moves them with the pane; whoever drew them must.
public struct TmuxPaneView: Sendable, Equatable {
    public var visible: Bool
    public var origin: CellPosition?

    public init(visible: Bool, origin: CellPosition?) {
        self.visible = visible
        self.origin = origin
    }

    static let format = (["#{window_active}", "#{session_attached}", "#{window_zoomed_flag}", "#{pane_active}"] + TmuxInfo.originFormat)
        .joined(separator: "\t")

    /// The answer to `format`: visible when its window is the active one of an attached session
    /// and no other pane of it is zoomed over it.
    public static func parse(_ output: String) -> TmuxPaneView? {
        let fields = TmuxInfo.fields(output)
        guard fields.count >= 8 else { return nil }
        let zoomedAway = fields[2] == "1" && fields[3] != "1"
        let visible = fields[0] == "1" && fields[1] != "0" && !zoomedAway
        return TmuxPaneView(visible: visible, origin: TmuxInfo.parseOrigin(fields[4...]))
    }

    /// One short `tmux display`; nil when tmux cannot say in time.
    public static func read(environment: [String: String], runner: some CommandRunner, timeout: Double) -> TmuxPaneView? {
        let arguments = TmuxInfo.displayArguments(environment: environment, format: format)
        guard let result = try? runner.run(arguments, timeout: timeout), result.status == 0 else { return nil }
        return parse(result.output)
    }
}
