import Foundation
import ImageCodecs

/// Scaling images to the space a pane offers.
public enum ImageFitting {
    /// The largest size with `image`'s aspect ratio inside `width`×`height` (never upscaling past 4×).
    public static func fittedSize(imageWidth: Int, imageHeight: Int, boxWidth: Int, boxHeight: Int) -> (width: Int, height: Int) {
        guard imageWidth > 0, imageHeight > 0, boxWidth > 0, boxHeight > 0 else { return (0, 0) }
        let scale = min(Double(boxWidth) / Double(imageWidth), Double(boxHeight) / Double(imageHeight), 4)
        return (max(1, Int(Double(imageWidth) * scale)), max(1, Int(Double(imageHeight) * scale)))
    }

    /// Resamples by averaging the source pixels under each target pixel (nearest when enlarging):
    /// cheap and free of the aliasing plain nearest-neighbour shrinking shows.
    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        guard width > 0, height > 0, width != image.width || height != image.height else { return image }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let source = image.pixels
        for y in 0..<height {
            let y0 = y * image.height / height
            let y1 = max(y0 + 1, (y + 1) * image.height / height)
            for x in 0..<width {
                let x0 = x * image.width / width
                let x1 = max(x0 + 1, (x + 1) * image.width / width)
                var sums = (0, 0, 0)
                for sy in y0..<y1 {
                    var offset = (sy * image.width + x0) * 3
                    for _ in x0..<x1 {
                        sums.0 += Int(source[offset])
                        sums.1 += Int(source[offset + 1])
                        sums.2 += Int(source[offset + 2])
                        offset += 3
                    }
                }
                let count = (y1 - y0) * (x1 - x0)
                let target = (y * width + x) * 3
                pixels[target] = UInt8(sums.0 / count)
                pixels[target + 1] = UInt8(sums.1 / count)
                pixels[target + 2] = UInt8(sums.2 / count)
            }
        }
        return (try? RGBImage(width: width, height: height, pixels: pixels)) ?? image
    }

    /// Peak signal-to-noise ratio in dB between two images of the same size (∞ when identical).
    public static func psnr(_ a: RGBImage, _ b: RGBImage) -> Double? {
        guard a.width == b.width, a.height == b.height else { return nil }
        var sum = 0.0
        for (x, y) in zip(a.pixels, b.pixels) {
            let difference = Double(x) - Double(y)
            sum += difference * difference
        }
        let mse = sum / Double(a.pixels.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }
}
