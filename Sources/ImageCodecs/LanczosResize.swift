import Foundation

/// PIL's `Image.resize(size, Image.LANCZOS)` for 8-bit RGB, to the byte: a horizontal then a
/// vertical pass of a 3-lobe Lanczos kernel stretched by the scale when shrinking, with PIL's
/// 22-bit fixed-point coefficients and clipping after each pass. diffusers' `VaeImageProcessor`
/// resizes with it, so an image resized here encodes as it would there.
public enum LanczosResize {
    static let precisionBits = 32 - 8 - 2

    public static func resize(_ image: RGBImage, width: Int, height: Int) throws(ImageCodecError) -> RGBImage {
        var pixels = image.pixels
        var (currentWidth, currentHeight) = (image.width, image.height)
        if width != currentWidth {
            let weights = Weights(inputSize: currentWidth, outputSize: width)
            var out = [UInt8](repeating: 0, count: width * currentHeight * 3)
            for y in 0..<currentHeight {
                for x in 0..<width {
                    for c in 0..<3 {
                        out[(y * width + x) * 3 + c] = weights.apply(x) { pixels[(y * currentWidth + $0) * 3 + c] }
                    }
                }
            }
            (pixels, currentWidth) = (out, width)
        }
        if height != currentHeight {
            let weights = Weights(inputSize: currentHeight, outputSize: height)
            var out = [UInt8](repeating: 0, count: currentWidth * height * 3)
            for y in 0..<height {
                for x in 0..<currentWidth {
                    for c in 0..<3 {
                        out[(y * currentWidth + x) * 3 + c] = weights.apply(y) { pixels[($0 * currentWidth + x) * 3 + c] }
                    }
                }
            }
            (pixels, currentHeight) = (out, height)
        }
        return try RGBImage(width: currentWidth, height: currentHeight, pixels: pixels)
    }

    static func lanczos(_ x: Double) -> Double {
        guard -3.0 <= x && x < 3.0 else { return 0 }
        return sinc(x) * sinc(x / 3)
    }

    static func sinc(_ x: Double) -> Double {
        guard x != 0 else { return 1 }
        let scaled = x * Double.pi
        return sin(scaled) / scaled
    }

    /// Each output position's first input index and fixed-point weights (PIL's `precompute_coeffs`
    /// and `normalize_coeffs_8bpc`).
    struct Weights {
        let first: [Int]
        let values: [[Int64]]

        init(inputSize: Int, outputSize: Int) {
            let scale = Double(inputSize) / Double(outputSize)
            let filterScale = max(scale, 1)
            let support = 3 * filterScale
            var first: [Int] = []
            var values: [[Int64]] = []
            for position in 0..<outputSize {
                let center = (Double(position) + 0.5) * scale
                let low = max(Int(center - support + 0.5), 0)
                let count = min(Int(center + support + 0.5), inputSize) - low
                // PIL multiplies by the reciprocal; dividing would round differently.
                let reciprocal = 1 / filterScale
                var weights = (0..<count).map { lanczos((Double($0 + low) - center + 0.5) * reciprocal) }
                let total = weights.reduce(0, +)
                if total != 0 { weights = weights.map { $0 / total } }
                first.append(low)
                values.append(
                    weights.map { weight in
                        Int64((weight * Double(1 << LanczosResize.precisionBits) + (weight < 0 ? -0.5 : 0.5)).rounded(.towardZero))
                    })
            }
            self.first = first
            self.values = values
        }

        func apply(_ position: Int, _ sample: (Int) -> UInt8) -> UInt8 {
            var sum = Int64(1) << (LanczosResize.precisionBits - 1)
            let low = first[position]
            for (offset, weight) in values[position].enumerated() { sum += Int64(sample(low + offset)) * weight }
            return UInt8(clamping: sum >> LanczosResize.precisionBits)
        }
    }
}
