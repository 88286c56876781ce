import LatentKit

/// Images → what an encoder takes, as diffusers' `VaeImageProcessor.preprocess` makes it:
/// float32 `[B,3,H,W]`, `x / 255 · 2 − 1`. diffusers quietly resizes sides down to a multiple
/// of 8 (Lanczos); latentty refuses instead and names that size, so no one gets a resampled
/// latent they did not ask for.
public enum EncoderInput {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case sidesNotMultiples(width: Int, height: Int, factor: Int)

        public var description: String {
            switch self {
            case .sidesNotMultiples(let width, let height, let factor):
                let fits = "\(width / factor * factor)×\(height / factor * factor)"
                return width < factor || height < factor
                    ? "the image is \(width)×\(height); the encoder needs sides of at least \(factor) pixels"
                    : "the image is \(width)×\(height); the encoder takes sides that are multiples of \(factor): crop or resize it to \(fits) (what diffusers' VaeImageProcessor would resize it to)"
            }
        }
    }

    /// Refuses sides that are not multiples of `factor`, with the size that would be taken.
    public static func check(width: Int, height: Int, factor: Int = 8) throws(Failure) {
        guard width >= factor, height >= factor, width % factor == 0, height % factor == 0 else {
            throw .sidesNotMultiples(width: width, height: height, factor: factor)
        }
    }

    /// One image as a `[1,3,H,W]` float32 tensor in [-1, 1].
    public static func tensor(from image: RGBImage, factor: Int = 8) throws(Failure) -> Tensor {
        try check(width: image.width, height: image.height, factor: factor)
        let plane = image.width * image.height
        var values = [Float](repeating: 0, count: plane * 3)
        image.pixels.withUnsafeBufferPointer { pixels in
            for p in 0..<plane {
                for c in 0..<3 { values[c * plane + p] = Float(pixels[p * 3 + c]) / 255 * 2 - 1 }
            }
        }
        // The shape matches the values by construction.
        return try! Tensor(values: values, shape: [1, 3, image.height, image.width])
    }
}
