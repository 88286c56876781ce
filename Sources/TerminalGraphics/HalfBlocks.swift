import ImageCodecs

/// One character cell of a half-block picture: `▀` with the top pixel as foreground and the
/// bottom pixel as background.
public struct HalfBlockCell: Sendable, Equatable {
    public var top: RGB
    public var bottom: RGB
}

public struct RGB: Sendable, Equatable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// The nearest colour of xterm's 256-colour palette (the 6×6×6 cube or the grey ramp).
    public var palette256: Int {
        func level(_ value: UInt8) -> Int { value < 48 ? 0 : value < 115 ? 1 : (Int(value) - 35) / 40 }
        let cube = (level(r), level(g), level(b))
        let steps = [0, 95, 135, 175, 215, 255]
        let cubeColor = (steps[cube.0], steps[cube.1], steps[cube.2])
        let average = (Int(r) + Int(g) + Int(b)) / 3
        let greyIndex = average > 238 ? 23 : max(0, (average - 3) / 10)
        let grey = 8 + greyIndex * 10
        func distance(_ c: (Int, Int, Int)) -> Int {
            let d = (c.0 - Int(r), c.1 - Int(g), c.2 - Int(b))
            return d.0 * d.0 + d.1 * d.1 + d.2 * d.2
        }
        return distance((grey, grey, grey)) < distance(cubeColor)
            ? 232 + greyIndex : 16 + 36 * cube.0 + 6 * cube.1 + cube.2
    }
}

/// The fallback preview where sixel is missing (tmux < 3.4, most terminals): two pixels per cell.
public enum HalfBlocks {
    /// Fits `image` into `columns`×`rows` cells (each cell is one pixel wide, two tall).
    public static func render(_ image: RGBImage, columns: Int, rows: Int) -> [[HalfBlockCell]] {
        let (width, height) = ImageFitting.fittedSize(
            imageWidth: image.width, imageHeight: image.height, boxWidth: columns, boxHeight: rows * 2)
        guard width > 0, height > 0 else { return [] }
        let scaled = ImageFitting.resize(image, width: width, height: height + height % 2)
        let pixels = scaled.pixels
        func pixel(_ x: Int, _ y: Int) -> RGB {
            let offset = (min(y, scaled.height - 1) * scaled.width + x) * 3
            return RGB(pixels[offset], pixels[offset + 1], pixels[offset + 2])
        }
        return stride(from: 0, to: scaled.height, by: 2).map { y in
            (0..<scaled.width).map { x in HalfBlockCell(top: pixel(x, y), bottom: pixel(x, y + 1)) }
        }
    }
}
