import LatentKit

/// The preset editor: where a preset's remote decodes go and what they return.
public struct PresetForm: Sendable, Equatable {
    public enum Field: Int, Sendable, CaseIterable {
        case endpoint, outputType, imageFormat, concurrency
    }

    public var presetID: String
    public var endpoint: TextField
    public var outputType: OutputType
    public var imageFormat: ImageFormat
    public var concurrency: TextField
    public var focus: Field

    /// The text field that has focus, if the focused field is one.
    var focusedText: WritableKeyPath<PresetForm, TextField>? {
        switch focus {
        case .endpoint: \.endpoint
        case .concurrency: \.concurrency
        case .outputType, .imageFormat: nil
        }
    }
}
