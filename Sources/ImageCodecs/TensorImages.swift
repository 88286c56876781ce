import LatentKit

/// Conversions between decoder output tensors and images, exactly as diffusers' VaeImageProcessor
/// post-processes: `(x / 2 + 0.5).clamp(0, 1) · 255`, rounded half to even, in float32.
public enum TensorImages {
    public enum ConversionError: Error, Equatable, CustomStringConvertible {
        case unexpectedShape([Int])

        public var description: String {
            switch self {
            case .unexpectedShape(let shape):
                "expected images as [B,3,H,W], video as [B,3,F,H,W] or uint8 [N,H,W,3], not \(shape.shapeText)"
            }
        }
    }

    @inline(__always)
    static func byte(_ value: Float) -> UInt8 {
        // A NaN would trap the conversion; numpy's uint8 cast of NaN gives 0, so do the same.
        if value.isNaN { return 0 }
        let unit = min(max(value / 2 + 0.5, 0), 1)
        return UInt8((unit * 255).rounded(.toNearestOrEven))
    }

    /// Float `[B,3,H,W]` or `[B,3,F,H,W]` in [-1, 1] → images (batch × frames), or a uint8 `[N,H,W,3]` tensor → images.
    public static func images(from tensor: Tensor) throws(ConversionError) -> [RGBImage] {
        let shape = tensor.shape
        if tensor.dtype == .uint8 {
            guard shape.count == 4, shape[3] == 3 else { throw .unexpectedShape(shape) }
            let (count, height, width) = (shape[0], shape[1], shape[2])
            let size = height * width * 3
            return try (0..<count).map { index throws(ConversionError) in
                try image(width: width, height: height, pixels: Array(tensor.bytes[(index * size)..<((index + 1) * size)]), shape: shape)
            }
        }
        guard shape.count == 4 || shape.count == 5, shape[1] == 3 else { throw .unexpectedShape(shape) }
        let batch = shape[0]
        let frames = shape.count == 5 ? shape[2] : 1
        let height = shape[shape.count - 2]
        let width = shape[shape.count - 1]
        let plane = height * width
        let values = tensor.floatValues()
        var images: [RGBImage] = []
        for b in 0..<batch {
            for f in 0..<frames {
                var pixels = [UInt8](repeating: 0, count: plane * 3)
                for c in 0..<3 {
                    let base = ((b * 3 + c) * frames + f) * plane
                    for p in 0..<plane { pixels[p * 3 + c] = byte(values[base + p]) }
                }
                images.append(try image(width: width, height: height, pixels: pixels, shape: shape))
            }
        }
        return images
    }

    /// Frames of one clip, float `[3,F,H,W]` in [-1, 1] (what a video engine hands out as it
    /// decodes), converted exactly as `images(from:)` converts a whole video.
    public static func frames(fromClip clip: Tensor) throws(ConversionError) -> [RGBImage] {
        guard clip.rank == 4, clip.shape[0] == 3, clip.dtype != .uint8 else { throw .unexpectedShape(clip.shape) }
        let video: Tensor
        do {
            video = try Tensor(dtype: clip.dtype, shape: [1] + clip.shape, bytes: clip.bytes)
        } catch {
            throw .unexpectedShape(clip.shape)
        }
        return try images(from: video)
    }

    /// The `partial_postprocess=True` answer: uint8 `[N,H,W,3]`.
    public static func uint8Tensor(from images: [RGBImage]) throws(ConversionError) -> Tensor {
        guard let first = images.first, images.allSatisfy({ $0.width == first.width && $0.height == first.height }) else {
            throw .unexpectedShape([images.count])
        }
        let shape = [images.count, first.height, first.width, 3]
        do {
            return try Tensor(dtype: .uint8, shape: shape, bytes: images.flatMap(\.pixels))
        } catch {
            throw .unexpectedShape(shape)
        }
    }

    private static func image(width: Int, height: Int, pixels: [UInt8], shape: [Int]) throws(ConversionError) -> RGBImage {
        do {
            return try RGBImage(width: width, height: height, pixels: pixels)
        } catch {
            throw .unexpectedShape(shape)
        }
    }
}
