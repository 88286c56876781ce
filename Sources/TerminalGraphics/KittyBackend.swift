import ImageCodecs

/// kitty graphics with direct placements: the pixels go up once under an image id, each draw is a
/// short `a=p` that moves placement 1 of that id, and erasing deletes the placement but keeps the
/// pixels, so video frames and job switches cost no re-send.
public struct KittyBackend: PictureBackend {
    public let target: GraphicsTarget

    public init(target: GraphicsTarget) { self.target = target }

    public var livesInCells: Bool { false }

    public func encode(_ image: RGBImage, columns: Int, rows: Int) throws(PictureError) -> TerminalPicture {
        let fitted = try FittedPicture(image, columns: columns, rows: rows, target: target)
        let id = KittyImageIDs.next()
        do {
            let upload = try KittyGraphics.transmit(fitted.image, id: id)
            let place = try KittyGraphics.place(id: id, columns: fitted.columns, rows: fitted.rows)
            return TerminalPicture(
                columns: fitted.columns, rows: fitted.rows, imageID: id, upload: delivered(upload),
                storedBytes: fitted.image.pixels.count * 4 / 3,
                pieces: [RasterPiece(row: 0, column: 0, bytes: place)])
        } catch {
            throw .kitty(error)
        }
    }

    public func erase(_ picture: TerminalPicture) -> [UInt8] {
        guard let id = picture.imageID, let bytes = try? KittyGraphics.delete(id: id) else { return [] }
        return delivered(bytes)
    }
}

/// kitty graphics through Unicode placeholders, for tmux: the pixels and a virtual placement go up
/// once (through passthrough), and the picture is then plain text — U+10EEEE cells coloured with
/// the image id — that tmux stores, clips and redraws like any other text.
public struct KittyPlaceholderBackend: PictureBackend {
    public let target: GraphicsTarget

    public init(target: GraphicsTarget) { self.target = target }

    public var drawsText: Bool { true }

    public func encode(_ image: RGBImage, columns: Int, rows: Int) throws(PictureError) -> TerminalPicture {
        let limit = KittyPlaceholders.maxCells
        let fitted = try FittedPicture(image, columns: min(columns, limit), rows: min(rows, limit), target: target)
        let id = KittyImageIDs.next()
        do {
            let upload =
                delivered(try KittyGraphics.transmit(fitted.image, id: id))
                + delivered(try KittyPlaceholders.virtualPlacement(id: id, columns: fitted.columns, rows: fitted.rows))
            let lines = try KittyPlaceholders.grid(id: id, columns: fitted.columns, rows: fitted.rows)
            return TerminalPicture(
                columns: fitted.columns, rows: fitted.rows, imageID: id, upload: upload, storedBytes: fitted.image.pixels.count * 4 / 3,
                pieces: lines.enumerated().map { RasterPiece(row: $0.offset, column: 0, bytes: Array($0.element.utf8)) })
        } catch {
            throw .kitty(error)
        }
    }
}

/// iTerm2 inline images: a PNG at the fitted pixel size (exact pixels, fewer bytes than the
/// original), re-sent on every draw because the protocol has no image ids.
public struct ITermBackend: PictureBackend {
    public let target: GraphicsTarget

    public init(target: GraphicsTarget) { self.target = target }

    public func encode(_ image: RGBImage, columns: Int, rows: Int) throws(PictureError) -> TerminalPicture {
        let fitted = try FittedPicture(image, columns: columns, rows: rows, target: target)
        let png: [UInt8]
        do {
            png = try PNGCodec.encode(fitted.image)
        } catch {
            throw .png(error.description)
        }
        let bytes = ITermInlineImage.encode(png: png, columns: fitted.columns, rows: fitted.rows)
        return TerminalPicture(
            columns: fitted.columns, rows: fitted.rows, pieces: [RasterPiece(row: 0, column: 0, bytes: bytes)])
    }
}

/// Sixel through libsixel, kept inside the box: whole 6-pixel bands only, so the image never
/// reaches the row below and scrolls the screen.
public struct SixelBackend: PictureBackend {
    public let target: GraphicsTarget

    public init(target: GraphicsTarget) { self.target = target }

    public func encode(_ image: RGBImage, columns: Int, rows: Int) throws(PictureError) -> TerminalPicture {
        let bandHeight = max(6, (rows * target.cellHeight) / 6 * 6)
        let limit = (target.maxSixelWidth, min(bandHeight, (target.maxSixelHeight ?? bandHeight) / 6 * 6))
        let fitted = try FittedPicture(image, columns: columns, rows: rows, target: target, pixelLimit: limit)
        let sixel: [UInt8]
        do {
            sixel = try SixelEncoder.encode(fitted.image)
        } catch {
            throw .sixel(error)
        }
        return TerminalPicture(
            columns: fitted.columns, rows: fitted.rows, pieces: [RasterPiece(row: 0, column: 0, bytes: sixel)])
    }
}

/// `▀` cells, two pixels each: the picture anywhere text works.
public struct HalfBlockBackend: PictureBackend {
    public let target: GraphicsTarget

    public init(target: GraphicsTarget) { self.target = target }

    public var drawsText: Bool { true }

    public func encode(_ image: RGBImage, columns: Int, rows: Int) throws(PictureError) -> TerminalPicture {
        guard columns > 0, rows > 0 else { throw .emptyBox(columns: columns, rows: rows) }
        let lines = HalfBlocks.render(image, columns: columns, rows: rows)
        let pieces = lines.enumerated().map { index, line in
            var text = ""
            for cell in line { text += TerminalColors.halfBlock(cell, truecolor: target.truecolor) }
            return RasterPiece(row: index, column: 0, bytes: Array((text + "\u{1B}[0m").utf8))
        }
        return TerminalPicture(columns: lines.first?.count ?? 0, rows: lines.count, pieces: pieces)
    }
}

/// `--graphics none`: captions only.
public struct NoPictureBackend: PictureBackend {
    public let target: GraphicsTarget

    public init(target: GraphicsTarget) { self.target = target }

    public func encode(_ image: RGBImage, columns: Int, rows: Int) throws(PictureError) -> TerminalPicture {
        TerminalPicture(columns: 0, rows: 0, pieces: [])
    }
}
