import Foundation

/// The dialog or box drawn over the panes; keys go to it while it is open.
public enum Overlay: Sendable, Equatable {
    /// The key list, scrolled by `scroll` lines.
    case help(scroll: Int)
    case confirmQuit
    case open(FileDialog)
    case generate(GenerateForm)
    case watch(TextField)
    case inspect(UUID)
    case presetForm(PresetForm)
    case filter(TextField)
}

/// Video playback of the selected result.
public struct Playback: Sendable, Equatable {
    public static let frameInterval: TimeInterval = 0.125

    public var frame = 0
    public var playing = false
    /// When the shown frame was due; frames advance by the time passed since.
    public var lastAdvance: Date?
}

/// Two finished results shown side by side: `left` was marked first, `right` picked second.
public struct Comparison: Sendable, Equatable {
    public var left: UUID
    public var right: UUID

    func contains(_ id: UUID) -> Bool { left == id || right == id }
}
