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
            let cells = WholeCells(fitted, target: target)
            let upload = try KittyGraphics.transmit(
                pixels: cells.pixels, width: cells.width, height: cells.height, format: cells.format, id: id)
            let place = try KittyGraphics.place(id: id, columns: fitted.columns, rows: fitted.rows)
            return TerminalPicture(
                columns: fitted.columns, rows: fitted.rows, imageID: id, upload: delivered(upload), storedBytes: cells.storedBytes,
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

/// A fitted picture as kitty gets it: kitty scales a placement to fill exactly the cells it names
/// (`c=`, `r=`), so a picture of no whole number of cells would be stretched; it is padded with
/// transparent pixels to whole cells instead (RGBA), and sent as plain RGB when it fits them.
struct WholeCells {
    var pixels: [UInt8]
    var width: Int
    var height: Int
    var format: KittyGraphics.PixelFormat

    init(_ fitted: FittedPicture, target: GraphicsTarget) {
        let image = fitted.image
        width = fitted.columns * target.cellWidth
        height = fitted.rows * target.cellHeight
        guard width != image.width || height != image.height else {
            (pixels, width, height, format) = (image.pixels, image.width, image.height, .rgb)
            return
        }
        format = .rgba
        pixels = [UInt8](repeating: 0, count: width * height * 4)
        for y in 0..<min(image.height, height) {
            for x in 0..<min(image.width, width) {
                let (from, to) = ((y * image.width + x) * 3, (y * width + x) * 4)
                pixels[to] = image.pixels[from]
                pixels[to + 1] = image.pixels[from + 1]
                pixels[to + 2] = image.pixels[from + 2]
                pixels[to + 3] = 255
            }
        }
    }

    /// What kitty keeps for it: four bytes a pixel.
    var storedBytes: Int { width * height * 4 }
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
            let cells = WholeCells(fitted, target: target)
            let upload =
                delivered(
                    try KittyGraphics.transmit(pixels: cells.pixels, width: cells.width, height: cells.height, format: cells.format, id: id)
                )
                + delivered(try KittyPlaceholders.virtualPlacement(id: id, columns: fitted.columns, rows: fitted.rows))
            let lines = try KittyPlaceholders.grid(id: id, columns: fitted.columns, rows: fitted.rows)
            return TerminalPicture(
                columns: fitted.columns, rows: fitted.rows, imageID: id, upload: upload, storedBytes: cells.storedBytes,
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
