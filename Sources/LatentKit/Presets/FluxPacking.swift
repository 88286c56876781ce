import Foundation

public enum FluxPackingError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case notUnpacked(shape: [Int])
    case oddSize(height: Int, width: Int)
    case notPacked(shape: [Int])
    case sizeMismatch(tokens: Int, height: Int, width: Int, expected: Int)
    case sizeNeeded(tokens: Int)

    public var description: String {
        switch self {
        case .notUnpacked(let shape):
            "packing takes a 4-D latent [B, C, H, W]; this one is \(shape.shapeText)"
        case .oddSize(let height, let width):
            "a latent of \(height)×\(width) cannot be packed into 2×2 patches: both sides must be even (image sides a multiple of 16)"
        case .notPacked(let shape):
            "unpacking takes a packed 3-D latent [B, tokens, C·4]; this one is \(shape.shapeText)"
        case .sizeMismatch(let tokens, let height, let width, let expected):
            "a \(width)×\(height) image has \(expected) packed tokens, but this latent has \(tokens); pass the image's real height and width"
        case .sizeNeeded(let tokens):
            "this packed latent has \(tokens) tokens, which is not a square image; pass the image height and width"
        }
    }

    public var errorDescription: String? { description }
}

/// Flux's 2×2 patch packing, exactly as diffusers' `_pack_latents` / `_unpack_latents`: sequence index
/// `i·(W/2)+j`, feature index `c·4+dy·2+dx`.
public enum FluxPacking {
    public static func pack(_ latent: Tensor) throws(FluxPackingError) -> Tensor {
        guard latent.rank == 4 else { throw .notUnpacked(shape: latent.shape) }
        let (b, c, h, w) = (latent.shape[0], latent.shape[1], latent.shape[2], latent.shape[3])
        guard h % 2 == 0, w % 2 == 0 else { throw .oddSize(height: h, width: w) }
        // view(B,C,H/2,2,W/2,2).permute(0,2,4,1,3,5): read the source through those strides.
        let shape = [b, h / 2, w / 2, c, 2, 2]
        let strides = [c * h * w, 2 * w, 2, h * w, w, 1]
        let gathered = Tensor.gather(
            storage: latent.bytes, dtype: latent.dtype, shape: shape, strides: strides, offset: 0)
        return Tensor(
            validated: latent.dtype, shape: [b, (h / 2) * (w / 2), c * 4], bytes: gathered.bytes)
    }

    /// Unpacks for an image of `height`×`width` pixels (nil: a square image inferred from the token count).
    public static func unpack(
        _ packed: Tensor, height: Int? = nil, width: Int? = nil, spatialFactor: Int = 8
    ) throws(FluxPackingError) -> Tensor {
        guard packed.rank == 3, packed.shape[2] % 4 == 0 else { throw .notPacked(shape: packed.shape) }
        let (b, tokens, features) = (packed.shape[0], packed.shape[1], packed.shape[2])
        let (h, w) = try latentSize(
            tokens: tokens, height: height, width: width, spatialFactor: spatialFactor)
        let c = features / 4
        // view(B, H/2, W/2, C, 2, 2).permute(0, 3, 1, 4, 2, 5) → [B, C, H/2, 2, W/2, 2]
        let half = (h / 2, w / 2)
        let shape = [b, c, half.0, 2, half.1, 2]
        let strides = [tokens * features, 4, half.1 * features, 2, features, 1]
        let gathered = Tensor.gather(
            storage: packed.bytes, dtype: packed.dtype, shape: shape, strides: strides, offset: 0)
        return Tensor(validated: packed.dtype, shape: [b, c, h, w], bytes: gathered.bytes)
    }

    /// Latent height and width (in unpacked cells) for an image, as diffusers computes them:
    /// `2·(pixels / (factor·2))`.
    public static func latentSize(tokens: Int, height: Int?, width: Int?, spatialFactor: Int = 8)
        throws(FluxPackingError) -> (Int, Int)
    {
        if let height, let width {
            let h = 2 * (height / (spatialFactor * 2))
            let w = 2 * (width / (spatialFactor * 2))
            guard (h / 2) * (w / 2) == tokens else {
                throw .sizeMismatch(
                    tokens: tokens, height: height, width: width, expected: (h / 2) * (w / 2))
            }
            return (h, w)
        }
        let side = Int(Double(tokens).squareRoot().rounded())
        guard side * side == tokens else { throw .sizeNeeded(tokens: tokens) }
        return (side * 2, side * 2)
    }
}
