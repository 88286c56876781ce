/// Names ordered as people read them: runs of digits compare by value, so `lat_2` comes before
/// `lat_10`; the rest compares case-insensitively, and exact text breaks ties so the order is total.
enum NaturalOrder {
    static func precedes(_ a: String, _ b: String) -> Bool {
        let (left, right) = (chunks(a), chunks(b))
        for (x, y) in zip(left, right) where x != y {
            switch (x, y) {
            case (.number(let m, let mText), .number(let n, let nText)):
                if m != n { return m < n }
                // Equal values: fewer leading zeros first (`7` before `007`).
                if mText != nText { return mText.count < nText.count }
            case (.text(let s), .text(let t)):
                let (ls, lt) = (s.lowercased(), t.lowercased())
                if ls != lt { return ls < lt }
            case (.number, .text): return true
            case (.text, .number): return false
            }
        }
        if left.count != right.count { return left.count < right.count }
        return a < b
    }

    private enum Chunk: Equatable {
        case number(UInt64, String)
        case text(String)
    }

    /// `lat_10.npy` → `lat_`, 10, `.npy`. Digit runs too long for a UInt64 compare as text.
    private static func chunks(_ name: String) -> [Chunk] {
        var chunks: [Chunk] = []
        var current = ""
        var inDigits = false
        func flush() {
            guard !current.isEmpty else { return }
            chunks.append(inDigits ? UInt64(current).map { .number($0, current) } ?? .text(current) : .text(current))
            current = ""
        }
        for character in name {
            let isDigit = character.isASCII && character.isNumber
            if isDigit != inDigits {
                flush()
                inDigits = isDigit
            }
            current.append(character)
        }
        flush()
        return chunks
    }
}
