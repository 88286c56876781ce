import LatentKit

/// Images → what an encoder takes, as diffusers' `VaeImageProcessor.preprocess` makes it with its
/// defaults: RGB resized down to sides that are multiples of 8 (PIL Lanczos), then float32
/// `[B,3,H,W]`, `x / 255 · 2 − 1`.
public enum EncoderInput {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case tooSmall(width: Int, height: Int, factor: Int)
        case sidesNotMultiples(width: Int, height: Int, factor: Int)

        public var description: String {
            switch self {
            case .tooSmall(let width, let height, let factor):
                "the image is \(width)×\(height); the encoder needs sides of at least \(factor) pixels"
            case .sidesNotMultiples(let width, let height, let factor):
                "the images are \(width)×\(height); the encoder takes sides that are multiples of \(factor), such as \(width / factor * factor)×\(height / factor * factor): send an image file (it is resized as diffusers does) or resize the tensor"
            }
        }
    }

    /// The size `VaeImageProcessor` resizes to: each side down to a multiple of `factor`.
    public static func size(width: Int, height: Int, factor: Int = 8) -> (width: Int, height: Int) {
        (width / factor * factor, height / factor * factor)
    }

    /// `image` resized as `VaeImageProcessor` does by default (itself when its sides are already
    /// multiples of `factor`); refused when a side is below `factor`, where diffusers would fail.
    public static func resized(_ image: RGBImage, factor: Int = 8) throws(Failure) -> RGBImage {
        guard image.width >= factor, image.height >= factor else {
            throw .tooSmall(width: image.width, height: image.height, factor: factor)
        }
        let target = size(width: image.width, height: image.height, factor: factor)
        guard target.width != image.width || target.height != image.height else { return image }
        // The target is smaller than an image that exists, so it is a valid one.
        return try! LanczosResize.resize(image, width: target.width, height: target.height)
    }

    /// Refuses tensor sides that are not multiples of `factor`: a tensor is not resized.
    public static func check(width: Int, height: Int, factor: Int = 8) throws(Failure) {
        guard width >= factor, height >= factor else { throw .tooSmall(width: width, height: height, factor: factor) }
        guard width % factor == 0, height % factor == 0 else {
            throw .sidesNotMultiples(width: width, height: height, factor: factor)
        }
    }

    /// One image whose sides are multiples of 8 as a `[1,3,H,W]` float32 tensor in [-1, 1].
    public static func tensor(from image: RGBImage) -> Tensor {
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
