import ArgumentParser

/// A size option such as `2G`, `1.5g`, `800M`, `64K` or `4096` (bytes).
struct ByteSize: ExpressibleByArgument, Equatable {
    let bytes: Int
    /// As the user wrote it, for help and messages.
    let text: String

    /// The full decoder's own limit for untiled decodes.
    static let twoGiB = ByteSize(bytes: 2 << 30, text: "2G")

    private static let units: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824]

    init?(argument: String) {
        var number = argument.uppercased()
        var scale = 1.0
        if let last = number.last, let unit = Self.units[last] {
            scale = unit
            number.removeLast()
        }
        // Beyond Int's range the product cannot become a byte count.
        guard let value = Double(number), value > 0, value * scale < Double(Int.max) else { return nil }
        bytes = Int(value * scale)
        text = argument
    }

    private init(bytes: Int, text: String) {
        self.bytes = bytes
        self.text = text
    }

    var defaultValueDescription: String { text }
}
