import Foundation
import LatentKit
import Workbench

/// Inputs to the reducer: what the user did and what finished in the background.
public enum Action: Sendable {
    case command(Command)
    /// A character typed into the open dialog's text field.
    case text(Character)
    case backspace
    case resize(columns: Int, rows: Int)
    case click(column: Int, row: Int)
    case scroll(up: Bool)
    case queue(QueueEvent)
    /// Files opened: latents to list, images to encode on the current backend, and one sentence per file that failed.
    case loaded([LoadedLatent], images: [SourceImage] = [], errors: [String])
    /// The latent an encode job made, with the original picture as its thumbnail: listed, and decoded on the encode's backend.
    case encoded(LoadedLatent)
    /// Engines whose weights were found in the model cache (looked up off the UI thread at start).
    case enginesFound([LocalEngineSpec])
    /// Latents that appeared in a watched folder: loaded and decoded at once.
    case arrived([LoadedLatent], errors: [String])
    case listed(directory: String, entries: [FileDialog.Entry])
    case message(StatusMessage)
    /// Time passing (the loop sends one per turn, and when a picture is ready): plays video and
    /// expires status messages. The reducer has no clock of its own.
    case tick(now: Date)
}

/// Work the reducer asks for; the app performs it off the UI thread and answers with actions.
public enum Effect: Sendable, Equatable {
    /// Read these files; the presets decide which each latent belongs to.
    case load(paths: [String], presets: [Preset])
    case list(directory: String)
    /// Read the latent a finished encode job wrote (and its image, for the thumbnail).
    case openEncoded(JobStatus, presets: [Preset])
    case generate(GenerateRequest, presets: [Preset])
    /// Queue these jobs; a remote backend runs at most its preset's concurrency at once.
    case submit([DecodeJob], concurrency: [BackendIdentity: Int])
    case cancel(UUID)
    /// Send a job's latent again, to `backend`.
    case resubmit(UUID, to: BackendIdentity, concurrency: Int?)
    case move(UUID, by: Int)
    case clearFinished
    case export(JobStatus)
    /// Write this preset's endpoint, output and concurrency settings to the config file.
    case savePreset(Preset)
    case watch(folder: String, presets: [Preset])
    /// `tmux set -p allow-passthrough on` for this pane, then draw pictures the way that allows.
    /// Done on the UI thread: it asks the terminal again, which must not race curses' input.
    case allowTmuxPassthrough
    case quit
}

/// A validated generate-dialog request.
public struct GenerateRequest: Sendable, Equatable {
    public var presetID: String
    public var width: Int
    public var height: Int
    public var frames: Int?
    public var seed: UInt64
    public var count: Int
    public var dtype: DType
}
