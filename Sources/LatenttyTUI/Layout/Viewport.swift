/// Which items of a list are on screen: the renderer draws exactly these, and a click is mapped
/// back to an item through the same value, so what is clicked is what was drawn there.
public struct Viewport: Sendable, Equatable {
    /// The first item on screen.
    public let first: Int
    /// How many items are on screen.
    public let visibleCount: Int
    /// Screen rows each item takes (jobs take two: the name and the progress line).
    public let rowsPerItem: Int

    public init(first: Int, visibleCount: Int, rowsPerItem: Int = 1) {
        self.first = first
        self.visibleCount = visibleCount
        self.rowsPerItem = rowsPerItem
    }

    /// The window over `itemCount` items that keeps `selected` visible (centred once the list
    /// scrolls) in `rows` screen rows.
    public init(selected: Int, itemCount: Int, rows: Int, rowsPerItem: Int = 1) {
        let capacity = max(1, rows / max(1, rowsPerItem))
        let first = itemCount > capacity ? min(max(0, selected - capacity / 2), itemCount - capacity) : 0
        self.init(first: first, visibleCount: min(itemCount, capacity), rowsPerItem: rowsPerItem)
    }

    /// A window scrolled `offset` rows down a text of `itemCount` lines (one row each), the offset
    /// clamped so the last line stays at the bottom.
    public init(scrolledTo offset: Int, itemCount: Int, rows: Int) {
        let capacity = max(1, rows)
        self.init(first: min(max(0, offset), max(0, itemCount - capacity)), visibleCount: min(itemCount, capacity))
    }

    public var items: Range<Int> { first..<(first + visibleCount) }

    /// Each item on screen with the row, below the list's top, where it starts.
    public var placements: [(item: Int, row: Int)] { items.map { ($0, ($0 - first) * rowsPerItem) } }

    /// The furthest first item for `itemCount` items: scrolling stops there.
    public func lastFirst(itemCount: Int) -> Int { max(0, itemCount - visibleCount) }

    /// The item drawn at `row` rows below the list's top, if any.
    public func item(atRow row: Int) -> Int? {
        guard row >= 0 else { return nil }
        let item = first + row / rowsPerItem
        return items.contains(item) ? item : nil
    }

    /// The row, below the list's top, where `item` starts; nil when it is off screen.
    public func row(of item: Int) -> Int? {
        items.contains(item) ? (item - first) * rowsPerItem : nil
    }
}
