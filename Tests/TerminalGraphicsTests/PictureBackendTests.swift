import Foundation
import Testing

@testable import ImageCodecs
@testable import TerminalGraphics

/// A 64×32 picture with detail in both directions.
private func detailed() throws -> RGBImage {
    var pixels: [UInt8] = []
    for y in 0..<32 {
        for x in 0..<64 { pixels += [UInt8(x * 4), UInt8(y * 8), ((x ^ y) & 1) == 1 ? 255 : 0] }
    }
    return try RGBImage(width: 64, height: 32, pixels: pixels)
}

/// Every backend fits the picture in the box with its aspect kept, and its bytes carry the pixels.
@Suite struct PictureBackendTests {
    let target = GraphicsTarget(graphics: .kitty, cellWidth: 8, cellHeight: 16)

    @Test func kittySendsTheFittedPixelsOnceAndPlacesByID() throws {
        let picture = try KittyBackend(target: target).encode(try detailed(), columns: 10, rows: 10)
        // Box 80×160 px: scale 1.25 → 80×40 px → 10×3 cells.
        #expect(picture.columns == 10 && picture.rows == 3)
        let id = try #require(picture.imageID)
        let upload = kittyCommands(picture.upload)
        // 40 px high is 2.5 cells: padded with transparent rows to 3 whole cells, so kitty does not
        // stretch it to fill the 3 rows the placement names.
        #expect(upload[0].keys["s"] == "80" && upload[0].keys["v"] == "48" && upload[0].keys["f"] == "32")
        #expect(upload[0].keys["i"] == String(id))
        let payload = try #require(Data(base64Encoded: Data(upload.flatMap(\.payload))))
        let rgba = try #require(upload[0].keys["o"] == "z" ? inflate(Array(payload), expectedSize: 80 * 48 * 4) : Array(payload))
        let expected = ImageFitting.resize(try detailed(), width: 80, height: 40).pixels
        let opaque = (0..<(80 * 40)).flatMap { rgba[($0 * 4)..<($0 * 4 + 3)] }
        #expect(opaque == expected && (0..<(80 * 40)).allSatisfy { rgba[$0 * 4 + 3] == 255 })
        #expect((80 * 40..<80 * 48).allSatisfy { rgba[$0 * 4 + 3] == 0 })
        let whole = try KittyBackend(target: target).encode(
            try RGBImage(width: 16, height: 32, pixels: expected.prefix(16 * 32 * 3).map { $0 }), columns: 2, rows: 2)
        #expect(kittyCommands(whole.upload)[0].keys["f"] == "24", "a picture of whole cells goes as it is")
        #expect(picture.pieces == [RasterPiece(row: 0, column: 0, bytes: try KittyGraphics.place(id: id, columns: 10, rows: 3))])
        #expect(KittyBackend(target: target).erase(picture) == (try KittyGraphics.delete(id: id)))
        #expect(!KittyBackend(target: target).livesInCells)
    }

    @Test func placeholdersAreTextAndTheGraphicsGoThroughTmux() throws {
        var tmux = target
        tmux.placeholders = true
        tmux.tmuxPassthrough = true
        let backend = KittyPlaceholderBackend(target: tmux)
        let picture = try backend.encode(try detailed(), columns: 10, rows: 10)
        let id = try #require(picture.imageID)
        let upload = String(decoding: picture.upload, as: UTF8.self)
        #expect(upload.hasPrefix("\u{1B}Ptmux;\u{1B}\u{1B}_Ga=t,"))
        #expect(upload.contains("\u{1B}Ptmux;\u{1B}\u{1B}_Ga=p,U=1,i=\(id),c=10,r=3,q=2\u{1B}\u{1B}\\\u{1B}\\"))
        #expect(
            upload.components(separatedBy: "\u{1B}_G").count == upload.components(separatedBy: "\u{1B}\u{1B}_G").count,
            "every graphics escape is wrapped, its ESC doubled")
        let rows = try KittyPlaceholders.grid(id: id, columns: 10, rows: 3)
        #expect(picture.pieces.map { String(decoding: $0.bytes, as: UTF8.self) } == rows)
        #expect(picture.pieces.map(\.row) == [0, 1, 2] && backend.drawsText && backend.erase(picture).isEmpty)
    }

    @Test func iTermCarriesAPNGOfTheFittedSize() throws {
        let picture = try ITermBackend(target: target).encode(try detailed(), columns: 10, rows: 10)
        let text = String(decoding: picture.pieces[0].bytes, as: UTF8.self)
        let header = "\u{1B}]1337;File=inline=1;width=10;height=3;preserveAspectRatio=1;size="
        #expect(text.hasPrefix(header) && text.hasSuffix("\u{07}"))
        let base64 = try #require(text.split(separator: ":").last?.dropLast())
        let png = try #require(Data(base64Encoded: String(base64)))
        #expect(try ImageDecoder.decode(Array(png)) == ImageFitting.resize(try detailed(), width: 80, height: 40))
    }

    @Test func sixelStaysInsideTheBoxInWholeBands() throws {
        let backend = SixelBackend(target: GraphicsTarget(graphics: .sixel, cellWidth: 10, cellHeight: 20, maxSixelHeight: 100))
        let picture = try backend.encode(try detailed(), columns: 40, rows: 10)
        let image = try #require(SixelEncoder.decode(picture.pieces[0].bytes))
        #expect(image.height <= 96 && image.height % 6 == 0 && image.width == image.height * 2)
        #expect(picture.rows == (image.height + 19) / 20)
    }

    @Test func halfBlocksUseTheTargetsColours() throws {
        let truecolor = try HalfBlockBackend(target: GraphicsTarget(graphics: .blocks, truecolor: true)).encode(
            try detailed(), columns: 16, rows: 4)
        let palette = try HalfBlockBackend(target: GraphicsTarget(graphics: .blocks)).encode(try detailed(), columns: 16, rows: 4)
        #expect(truecolor.columns == 16 && truecolor.rows == 4)
        #expect(String(decoding: truecolor.pieces[0].bytes, as: UTF8.self).hasPrefix("\u{1B}[38;2;"))
        #expect(String(decoding: palette.pieces[0].bytes, as: UTF8.self).hasPrefix("\u{1B}[38;5;"))
    }

    @Test func anEmptyBoxIsRefusedWithAReason() throws {
        #expect(throws: PictureError.emptyBox(columns: 0, rows: 3)) {
            try KittyBackend(target: target).encode(try detailed(), columns: 0, rows: 3)
        }
        #expect(PictureError.emptyBox(columns: 0, rows: 3).description.contains("at least one cell"))
    }

    /// Without the pane's origin the pieces go wrapped alone, where tmux left the outer cursor.
    @Test func tmuxPassthroughWrapsSixelAndITermWhenPlaced() throws {
        var tmux = target
        tmux.tmuxPassthrough = true
        for backend in [SixelBackend(target: tmux), ITermBackend(target: tmux)] as [any PictureBackend] {
            let picture = try backend.encode(try detailed(), columns: 4, rows: 4)
            let bare = picture.pieces[0].bytes
            #expect(!bare.starts(with: Array("\u{1B}Ptmux;".utf8)), "kept bare until the place is known")
            let placed = backend.place(picture, row: 0, column: 0)
            #expect(placed == Array("\u{1B}7\u{1B}[1;1H".utf8) + TmuxPassthrough.wrap(bare) + [0x1B, 0x38])
            #expect(Array(placed.dropFirst(8)).starts(with: Array("\u{1B}Ptmux;\u{1B}\u{1B}".utf8)))
        }
    }
}

/// Through tmux's passthrough, positioned pictures are drawn at their pane cell's place on the
/// outer terminal: the outer cursor is saved, moved there and restored inside the wrap.
@Suite struct PassthroughPlacementTests {
    /// The bottom-right pane of a split window, as tmux 3.3a placed it in a 150×40 kitty.
    let origin = CellPosition(row: 21, column: 76)

    func target(_ graphics: GraphicsProtocol, origin: CellPosition?) -> GraphicsTarget {
        GraphicsTarget(graphics: graphics, tmuxPassthrough: true, cellWidth: 8, cellHeight: 16, paneOrigin: origin)
    }

    /// ESC doubled, written out independently of `TmuxPassthrough`.
    func doubled(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\u{1B}", with: "\u{1B}\u{1B}")
    }

    @Test func kittyDirectPlacementIsMovedToThePanesCell() throws {
        let backend = KittyBackend(target: target(.kitty, origin: origin))
        let picture = try backend.encode(try detailed(), columns: 10, rows: 10)
        let id = try #require(picture.imageID)
        let placed = String(decoding: backend.place(picture, row: 2, column: 3), as: UTF8.self)
        #expect(
            placed
                == "\u{1B}7\u{1B}[3;4H\u{1B}Ptmux;\u{1B}\u{1B}7\u{1B}\u{1B}[24;80H\u{1B}\u{1B}_Ga=p,i=\(id),p=1,c=10,r=3,C=1,q=2\u{1B}\u{1B}\\\u{1B}\u{1B}8\u{1B}\\\u{1B}8"
        )
        #expect(picture.upload.starts(with: Array("\u{1B}Ptmux;\u{1B}\u{1B}_Ga=t,".utf8)), "the upload is wrapped but never positioned")
        #expect(backend.erase(picture) == Array("\u{1B}Ptmux;\u{1B}\u{1B}_Ga=d,d=i,i=\(id),q=2\u{1B}\u{1B}\\\u{1B}\\".utf8))
    }

    @Test func iTermAndSixelAreMovedToThePanesCell() throws {
        for graphics in [GraphicsProtocol.iterm2, .sixel] {
            let backend = PictureBackends.backend(for: target(graphics, origin: origin))
            let picture = try backend.encode(try detailed(), columns: 4, rows: 4)
            let placed = String(decoding: backend.place(picture, row: 0, column: 9), as: UTF8.self)
            let payload = doubled(picture.pieces[0].bytes)
            #expect(
                placed == "\u{1B}7\u{1B}[1;10H\u{1B}Ptmux;\u{1B}\u{1B}7\u{1B}\u{1B}[22;86H" + payload + "\u{1B}\u{1B}8\u{1B}\\\u{1B}8",
                "\(graphics)")
        }
    }

    @Test func textPiecesAreLeftToTmux() throws {
        var placeholders = target(.kitty, origin: origin)
        placeholders.placeholders = true
        let backend = PictureBackends.backend(for: placeholders)
        let picture = try backend.encode(try detailed(), columns: 10, rows: 10)
        let rows = picture.pieces.map { String(decoding: $0.bytes, as: UTF8.self) }
        #expect(
            String(decoding: backend.place(picture, row: 2, column: 3), as: UTF8.self)
                == "\u{1B}7\u{1B}[3;4H\(rows[0])\u{1B}[4;4H\(rows[1])\u{1B}[5;4H\(rows[2])\u{1B}8")
        #expect(!backend.piecesPassThroughTmux && backend.delivered(piece: picture.pieces[0].bytes, at: origin) == picture.pieces[0].bytes)
    }

    /// In a shell, the picture goes where tmux says its cursor is once the rows are reserved.
    @Test func inlineInTmuxDrawsAtTheReservedRowsOnTheOuterTerminal() throws {
        let backend = KittyBackend(target: target(.kitty, origin: origin))
        let canvas = PictureCanvas(backend: backend)
        let picture = try backend.encode(try detailed(), columns: 10, rows: 10)
        let id = try #require(picture.imageID)
        let top = CellPosition(row: 5, column: 0)
        let placement =
            "\u{1B}Ptmux;\u{1B}\u{1B}7\u{1B}\u{1B}[27;77H\u{1B}\u{1B}_Ga=p,i=\(id),p=1,c=10,r=3,C=1,q=2\u{1B}\u{1B}\\\u{1B}\u{1B}8\u{1B}\\"
        #expect(
            canvas.inline(picture, at: top)
                == picture.upload + Array("\n\n\n\r\u{1B}[3A\u{1B}7\(placement)\u{1B}8\u{1B}7\u{1B}8\u{1B}[3B\r".utf8))
        let next = try backend.encode(try detailed(), columns: 10, rows: 10)
        let nextID = try #require(next.imageID)
        let replay = String(decoding: canvas.redrawInline(next, replacing: picture, at: top), as: UTF8.self)
        #expect(
            replay
                == String(decoding: next.upload, as: UTF8.self) + "\u{1B}[3A\r\u{1B}7"
                + placement.replacingOccurrences(of: "i=\(id),", with: "i=\(nextID),")
                + "\u{1B}8\u{1B}7\u{1B}8\u{1B}Ptmux;\u{1B}\u{1B}_Ga=d,d=i,i=\(id),q=2\u{1B}\u{1B}\\\u{1B}\\\u{1B}[3B\r")
    }

    @Test func theInlineTopFollowsTheScroll() {
        // Room below: the picture starts on the cursor's row.
        #expect(
            PictureCanvas.inlineTop(cursor: CellPosition(row: 5, column: 7), rows: 3, screenRows: 19) == CellPosition(row: 5, column: 0))
        // Near the bottom the newlines scroll, and the picture ends on the last row.
        #expect(
            PictureCanvas.inlineTop(cursor: CellPosition(row: 17, column: 0), rows: 3, screenRows: 19) == CellPosition(row: 15, column: 0))
        // Taller than the screen: from the top.
        #expect(
            PictureCanvas.inlineTop(cursor: CellPosition(row: 10, column: 0), rows: 30, screenRows: 19) == CellPosition(row: 0, column: 0))
    }
}

/// The canvas sends kitty pixels once, frees what is off screen past its budget, and prints pictures inline.
@Suite struct PictureCanvasTests {
    let kitty = KittyBackend(target: GraphicsTarget(graphics: .kitty, cellWidth: 8, cellHeight: 16))

    @Test func uploadsOnceThenOnlyPlaces() throws {
        let canvas = PictureCanvas(backend: kitty)
        let picture = try kitty.encode(try detailed(), columns: 10, rows: 10)
        let first = canvas.show(picture, row: 4, column: 2)
        #expect(first.starts(with: picture.upload))
        let again = canvas.show(picture, row: 5, column: 2)
        #expect(again == kitty.place(picture, row: 5, column: 2))
        #expect(String(decoding: again, as: UTF8.self).hasPrefix("\u{1B}7\u{1B}[6;3H\u{1B}_Ga=p,"))
        #expect(canvas.storedImageIDs == [picture.imageID!])
    }

    @Test func pastTheBudgetTheNewestImageOffScreenIsFreedNeverOneOnScreen() throws {
        let pictures = try (0..<4).map { _ in try kitty.encode(try detailed(), columns: 10, rows: 10) }
        let canvas = PictureCanvas(backend: kitty, storageBudget: pictures[0].storedBytes * 3)
        let ids = pictures.map { $0.imageID! }
        _ = canvas.show(pictures[0], row: 0, column: 0)
        _ = canvas.erase(pictures[0])
        _ = canvas.show(pictures[1], row: 0, column: 0)
        _ = canvas.erase(pictures[1])
        _ = canvas.show(pictures[2], row: 0, column: 20)
        let fourth = String(decoding: canvas.show(pictures[3], row: 0, column: 0), as: UTF8.self)
        #expect(fourth.hasPrefix("\u{1B}_Ga=d,d=I,i=\(ids[1]),q=2\u{1B}\\"), "picture 2 is on screen; 1 was shown after 0")
        #expect(canvas.storedImageIDs == [ids[0], ids[2], ids[3]])
        #expect(canvas.show(pictures[1], row: 0, column: 0).contains(Array("a=t,".utf8)), "a freed image is sent again")
        #expect(canvas.storedImageIDs.contains(ids[2]), "still on screen, so still stored")
    }

    @Test func inlineReservesRowsThenDrawsOverThem() throws {
        let canvas = PictureCanvas(backend: kitty)
        let picture = try kitty.encode(try detailed(), columns: 10, rows: 10)
        let text = String(decoding: canvas.inline(picture), as: UTF8.self)
        let placement = String(decoding: picture.pieces[0].bytes, as: UTF8.self)
        #expect(text.hasSuffix("\n\n\n\r\u{1B}[3A\u{1B}7" + placement + "\u{1B}8\u{1B}7\u{1B}8\u{1B}[3B\r"))
        let replay = String(decoding: canvas.redrawInline(picture, replacing: picture), as: UTF8.self)
        #expect(!replay.contains("a=t") && replay.hasPrefix("\u{1B}[3A\r"))
    }

    @Test func textPicturesPrintLineByLine() throws {
        let blocks = HalfBlockBackend(target: GraphicsTarget(graphics: .blocks, truecolor: true))
        let picture = try blocks.encode(try detailed(), columns: 8, rows: 2)
        let text = String(decoding: PictureCanvas(backend: blocks).inline(picture), as: UTF8.self)
        #expect(text == picture.pieces.map { String(decoding: $0.bytes, as: UTF8.self) + "\r\n" }.joined())
    }
}

/// Whether the pane is on screen, from tmux's answer.
@Suite struct TmuxPaneViewTests {
    @Test func visibleOnlyInTheActiveWindowOfAnAttachedSessionUnzoomedAway() {
        #expect(
            TmuxPaneView.parse("1\t1\t0\t0\t20\t76\ton\tbottom\n") == TmuxPaneView(visible: true, origin: CellPosition(row: 20, column: 76))
        )
        #expect(TmuxPaneView.parse("0\t1\t0\t1\t0\t0\ton\tbottom\n")?.visible == false, "another window is shown")
        #expect(TmuxPaneView.parse("1\t0\t0\t1\t0\t0\ton\tbottom\n")?.visible == false, "detached")
        #expect(TmuxPaneView.parse("1\t1\t1\t0\t0\t0\ton\tbottom\n")?.visible == false, "another pane is zoomed")
        #expect(TmuxPaneView.parse("1\t1\t1\t1\t0\t0\ton\ttop\n") == TmuxPaneView(visible: true, origin: CellPosition(row: 1, column: 0)))
        #expect(TmuxPaneView.parse("1\t1\n") == nil)
    }
}
