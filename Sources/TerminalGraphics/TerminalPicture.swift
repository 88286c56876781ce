import ImageCodecs

/// Bytes to write with the cursor at a cell offset from the picture's top-left cell.
public struct RasterPiece: Sendable, Equatable {
    public var row: Int
    public var column: Int
    public var bytes: [UInt8]

    public init(row: Int, column: Int, bytes: [UInt8]) {
        self.row = row
        self.column = column
        self.bytes = bytes
    }
}

/// An image encoded for one terminal and one cell box: what a backend's `encode` makes and its
/// `place` and `erase` take. Plain data, so it can be made off the UI thread and cached.
public struct TerminalPicture: Sendable, Equatable {
    /// The cells the picture covers (inside the box it was fitted to).
    public var columns: Int
    public var rows: Int
    /// kitty: the terminal-side id the pixels are stored under.
    public var imageID: UInt32?
    /// Sent once per image id before its first placement (kitty's transmit); empty where every
    /// draw carries its pixels.
    public var upload: [UInt8]
    /// Written at every placement, each at its offset. Escapes for the terminal outside tmux are
    /// kept bare and wrapped when placed (`PictureBackend.delivered(piece:at:)`), since where the
    /// outer terminal must draw them is known only then.
    public var pieces: [RasterPiece]
    /// What the upload occupies in the terminal's memory (decoded pixels).
    public var storedBytes: Int

    public init(
        columns: Int, rows: Int, imageID: UInt32? = nil, upload: [UInt8] = [], storedBytes: Int = 0, pieces: [RasterPiece]
    ) {
        self.columns = columns
        self.rows = rows
        self.imageID = imageID
        self.upload = upload
        self.storedBytes = storedBytes
        self.pieces = pieces
    }

    /// Bytes the picture costs the first time it is shown.
    public var firstShowBytes: Int { upload.count + pieces.reduce(0) { $0 + $1.bytes.count } }
}

public enum PictureError: Error, Equatable, CustomStringConvertible {
    case emptyBox(columns: Int, rows: Int)
    case kitty(KittyGraphicsError)
    case sixel(SixelError)
    case png(String)

    public var description: String {
        switch self {
        case .emptyBox(let columns, let rows): "a picture needs at least one cell, not \(columns)×\(rows)"
        case .kitty(let error): error.description
        case .sixel(let error): error.description
        case .png(let reason): "cannot make the PNG for an inline image: \(reason)"
        }
    }
}
