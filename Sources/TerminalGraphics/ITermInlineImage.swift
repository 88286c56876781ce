import Foundation
import ImageCodecs

/// iTerm2's inline images (also WezTerm, mintty, VS Code's terminal): one OSC 1337 with the whole
/// file in base64. PNG keeps the decoded pixels exact, which JPEG would not.
public enum ITermInlineImage {
    /// Draws `image` at the cursor, fitted inside `columns`×`rows` cells with its aspect ratio kept.
    public static func encode(_ image: RGBImage, columns: Int, rows: Int) throws(ImageCodecError) -> [UInt8] {
        encode(png: try PNGCodec.encode(image), columns: columns, rows: rows)
    }

    /// `ESC ] 1337 ; File=inline=1;width=…;height=…;preserveAspectRatio=1;size=… : <base64> BEL`;
    /// plain numbers for width and height mean cells.
    public static func encode(png: [UInt8], columns: Int, rows: Int) -> [UInt8] {
        let arguments = "inline=1;width=\(columns);height=\(rows);preserveAspectRatio=1;size=\(png.count)"
        return [0x1B, 0x5D] + Array("1337;File=\(arguments):".utf8) + Array(Data(png).base64EncodedData()) + [0x07]
    }
}
