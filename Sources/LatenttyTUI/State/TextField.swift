/// One editable line of text in a dialog.
public struct TextField: Sendable, Equatable {
    public var label: String
    public var text: String

    public init(_ label: String, _ text: String) {
        self.label = label
        self.text = text
    }

    mutating func append(_ character: Character) { text.append(character) }

    mutating func eraseLast() {
        if !text.isEmpty { text.removeLast() }
    }
}
