/// The single owner of what one terminal shows and holds: it pairs each picture with its upload
/// the first time (kitty's pixels, sent once per image id), remembers what the terminal stores and
/// what is on screen, and frees stored images past a budget so the terminal's own quota never
/// evicts one we still place. Makes bytes only; the caller writes them, so everything is testable.
public final class PictureCanvas {
    public let backend: any PictureBackend
    /// Bytes of decoded pixels the terminal may hold for us; kitty's default quota is 320 MB.
    public let storageBudget: Int
    /// Least recently shown first.
    private var stored: [(id: UInt32, bytes: Int)] = []
    /// Images placed and not erased since: never freed to make room.
    private var onScreen: Set<UInt32> = []

    public init(backend: any PictureBackend, storageBudget: Int = 192 << 20) {
        self.backend = backend
        self.storageBudget = storageBudget
    }

    /// Ids whose pixels the terminal holds, oldest first.
    public var storedImageIDs: [UInt32] { stored.map(\.id) }

    /// Bytes that show `picture` with its top-left cell at 0-based (`row`, `column`).
    public func show(_ picture: TerminalPicture, row: Int, column: Int) -> [UInt8] {
        uploadIfNeeded(picture) + backend.place(picture, row: row, column: column)
    }

    /// Bytes that take `picture` off the screen (see `PictureBackend.erase`).
    public func erase(_ picture: TerminalPicture) -> [UInt8] {
        if let id = picture.imageID { onScreen.remove(id) }
        return backend.erase(picture)
    }

    /// Bytes that print `picture` at the cursor in a shell, leaving the cursor at the start of the
    /// line below it. Text pictures are printed line by line; the others first reserve their rows
    /// with newlines (scrolling if needed), then draw over them. `top` is the cell the picture's
    /// top-left lands on once its rows are reserved (`inlineTop`): escapes passing through tmux are
    /// drawn there on the outer terminal, where tmux would not take them.
    public func inline(_ picture: TerminalPicture, at top: CellPosition? = nil) -> [UInt8] {
        guard picture.rows > 0 else { return [] }
        var bytes = uploadIfNeeded(picture)
        if backend.drawsText {
            for piece in picture.pieces.sorted(by: { $0.row < $1.row }) { bytes += piece.bytes + Array("\r\n".utf8) }
            return bytes
        }
        bytes += Array(String(repeating: "\n", count: picture.rows).utf8) + Array("\r\u{1B}[\(picture.rows)A".utf8)
        return bytes + replacePieces(picture, at: top) + Array("\u{1B}[\(picture.rows)B\r".utf8)
    }

    /// Where `inline` puts the top-left of a picture `rows` high, printed with the cursor at
    /// `cursor` on a screen (a tmux pane) `screenRows` high: the newlines that reserve its rows
    /// scroll the screen once they reach the bottom, and the picture starts at column 0.
    public static func inlineTop(cursor: CellPosition, rows: Int, screenRows: Int) -> CellPosition {
        CellPosition(row: max(0, min(cursor.row + rows, screenRows - 1) - rows), column: 0)
    }

    /// Bytes that draw `picture` over the rows an earlier `inline` reserved, with the cursor on the
    /// line below them (video played in place). `top` is the one given to that `inline`.
    public func redrawInline(_ picture: TerminalPicture, replacing previous: TerminalPicture?, at top: CellPosition? = nil) -> [UInt8] {
        let rows = max(picture.rows, previous?.rows ?? 0)
        guard rows > 0 else { return [] }
        var bytes = uploadIfNeeded(picture) + Array("\u{1B}[\(rows)A\r".utf8)
        // Taken off after the new one is drawn, so nothing flashes between frames.
        let retired = previous.map { $0.imageID != picture.imageID ? erase($0) : [] } ?? []
        if backend.drawsText {
            for piece in picture.pieces.sorted(by: { $0.row < $1.row }) { bytes += piece.bytes + Array("\r\n".utf8) }
            if rows > picture.rows { bytes += Array("\u{1B}[\(rows - picture.rows)B".utf8) }
            return bytes + retired
        }
        bytes += replacePieces(picture, at: top) + retired
        return bytes + Array("\u{1B}[\(rows)B\r".utf8)
    }

    /// The terminal dropped what it stored (kitty frees the images on a screen it clears with
    /// ED 2): each is sent again before its next placement.
    public func forgetStored() {
        stored.removeAll()
        onScreen.removeAll()
    }

    /// Bytes that free every image this canvas stored (at exit, so the terminal's memory is not
    /// held by a program that is gone), except the ids in `kept`: pictures printed into a shell
    /// stay in its scrollback after the program ends, and freeing their pixels would blank them.
    public func releaseAll(keeping kept: Set<UInt32> = []) -> [UInt8] {
        let freed = stored.filter { !kept.contains($0.id) }
        stored.removeAll { !kept.contains($0.id) }
        return freed.flatMap { free($0.id) }
    }

    private func replacePieces(_ picture: TerminalPicture, at top: CellPosition?) -> [UInt8] {
        var bytes: [UInt8] = [0x1B, 0x37]
        for piece in picture.pieces {
            if piece.row > 0 { bytes += Array("\u{1B}[\(piece.row)B".utf8) }
            if piece.column > 0 { bytes += Array("\u{1B}[\(piece.column)C".utf8) }
            let cell = top.map { $0 + CellPosition(row: piece.row, column: piece.column) }
            bytes += backend.delivered(piece: piece.bytes, at: cell) + [0x1B, 0x38, 0x1B, 0x37]
        }
        return bytes + [0x1B, 0x38]
    }

    private func uploadIfNeeded(_ picture: TerminalPicture) -> [UInt8] {
        guard let id = picture.imageID, !picture.upload.isEmpty else { return [] }
        defer { onScreen.insert(id) }
        if let index = stored.firstIndex(where: { $0.id == id }) {
            stored.append(stored.remove(at: index))
            return []
        }
        var bytes: [UInt8] = []
        stored.append((id, picture.storedBytes))
        while stored.reduce(0, { $0 + $1.bytes }) > storageBudget, let victim = evictionVictim(sparing: id) {
            bytes += free(stored.remove(at: victim).id)
        }
        return bytes + picture.upload
    }

    /// The most recently shown image that is off screen. Not the least recent: what overflows the
    /// budget is mostly a video played in a loop, and evicting the oldest frame evicts each one just
    /// before it comes round again — every frame re-sent on every pass. Giving up the newest keeps
    /// the rest of the loop stored, so a pass re-sends only what does not fit.
    private func evictionVictim(sparing id: UInt32) -> Int? {
        stored.indices.last { stored[$0].id != id && !onScreen.contains(stored[$0].id) }
    }

    private func free(_ id: UInt32) -> [UInt8] {
        guard let bytes = try? KittyGraphics.delete(id: id, freeData: true) else { return [] }
        return backend.target.tmuxPassthrough ? TmuxPassthrough.wrap(bytes) : bytes
    }
}
