/// A rectangle of character cells.
public struct Rect: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public func contains(column: Int, row: Int) -> Bool {
        column >= x && column < x + width && row >= y && row < y + height
    }

    /// The area inside a one-cell border.
    public var inner: Rect { Rect(x: x + 1, y: y + 1, width: max(0, width - 2), height: max(0, height - 2)) }
}

public enum Pane: String, Sendable, CaseIterable, Codable {
    case presets, sources, jobs, preview
}

/// Where everything goes for a terminal size. 80×24 is the smallest that works:
///
/// ```
/// ┌Presets──────┐┌Jobs──────────────────────────────┐
/// │             ││                                  │
/// ├Latents──────┤├Preview───────────────────────────┤
/// │             ││                                  │
/// └─────────────┘└──────────────────────────────────┘
///  details (3 lines)
///  status line
/// ```
public struct Layout: Sendable, Equatable {
    public static let minimumColumns = 80
    public static let minimumRows = 24

    public let columns: Int
    public let rows: Int
    public let presets: Rect
    public let sources: Rect
    public let jobs: Rect
    public let preview: Rect
    public let details: Rect
    public let status: Rect

    public var isTooSmall: Bool { columns < Self.minimumColumns || rows < Self.minimumRows }

    public init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
        let left = min(max(28, columns / 4), 40)
        let right = columns - left
        let body = max(0, rows - 4)
        let presetsHeight = min(max(6, body / 3), 10)
        presets = Rect(x: 0, y: 0, width: left, height: presetsHeight)
        sources = Rect(x: 0, y: presetsHeight, width: left, height: max(0, body - presetsHeight))
        let jobsHeight = min(max(7, body * 2 / 5), 16)
        jobs = Rect(x: left, y: 0, width: right, height: jobsHeight)
        preview = Rect(x: left, y: jobsHeight, width: right, height: max(0, body - jobsHeight))
        details = Rect(x: 0, y: body, width: columns, height: 3)
        status = Rect(x: 0, y: rows - 1, width: columns, height: 1)
    }

    public func rect(of pane: Pane) -> Rect {
        switch pane {
        case .presets: presets
        case .sources: sources
        case .jobs: jobs
        case .preview: preview
        }
    }

    public func pane(atColumn column: Int, row: Int) -> Pane? {
        Pane.allCases.first { rect(of: $0).contains(column: column, row: row) }
    }

    /// A centred box for dialogs and overlays.
    public func centered(width: Int, height: Int) -> Rect {
        let w = min(width, columns - 2)
        let h = min(height, rows - 2)
        return Rect(x: (columns - w) / 2, y: (rows - h) / 2, width: w, height: h)
    }
}
