/// diffusers' `AutoencoderKLHunyuanVideo` decode paths: framewise (temporal) tiling when the clip
/// has more latent frames than a temporal tile, spatial tiling (`tiled_decode`) of the clip or of
/// each temporal tile when enabled and the latent is larger than a spatial tile, else one decode.
struct VideoTiling {
    /// `tile_sample_min_height`/`_width` and `tile_sample_stride_height`/`_width`, in pixels.
    var tileSample = 256
    var strideSample = 192
    /// `tile_sample_min_num_frames` and `tile_sample_stride_num_frames`.
    var tileFrames = 16
    var strideFrames = 12
    /// `use_framewise_decoding` (diffusers' default: on).
    var framewise = true
    /// `use_tiling`.
    var spatial = false

    static let spatialFactor = HunyuanVideoConfig.spatialFactor
    static let temporalFactor = HunyuanVideoConfig.temporalFactor

    /// Latent frames per temporal tile beyond its first (a tile is one more, for the causal context).
    var tileLatentFrames: Int { tileFrames / Self.temporalFactor }
    var tileLatent: Int { tileSample / Self.spatialFactor }

    /// Whether a clip of `frames` latent frames is decoded in temporal tiles.
    func splitsInTime(frames: Int) -> Bool { framewise && frames > tileLatentFrames }

    /// Latent frames in the longest piece decoded at once.
    func longestPiece(frames: Int) -> Int { splitsInTime(frames: frames) ? min(frames, tileLatentFrames + 1) : frames }

    /// These tiles, or smaller ones (64 px less at a time, the stride ¾ of the tile as diffusers'
    /// 256/192, down to 64/48) until `estimate` of a tile's decode fits `budget`: diffusers'
    /// `tiled_decode` with smaller `tile_sample_min_*` / `tile_sample_stride_*`, which is how a long
    /// clip's 17-frame temporal tiles fit in memory.
    func shrunk(toFit budget: Int, estimate: (_ tileLatent: Int) -> Int) -> VideoTiling {
        var tiling = self
        while tiling.tileSample > 64, estimate(tiling.tileLatent) > budget {
            tiling.tileSample -= 64
            tiling.strideSample = tiling.tileSample * 3 / 4
        }
        return tiling
    }

    /// Decodes `latent`, handing each run of final frames to `emit` (with the index of its first
    /// frame) as soon as it is final, and returns the whole clip.
    func decode(
        _ latent: VideoClip, emit: (VideoClip, Int) throws -> Void, decodePiece: (VideoClip) throws -> VideoClip
    ) throws -> VideoClip {
        let sampleFrames = (latent.frames - 1) * Self.temporalFactor + 1
        guard splitsInTime(frames: latent.frames) else {
            let clip = try decodeSpatially(latent, decodePiece: decodePiece)
            try emit(clip, 0)
            return clip
        }
        let strideLatent = strideFrames / Self.temporalFactor
        let blend = tileFrames - strideFrames
        var kept: [VideoClip] = []
        var emitted = 0
        var previous: VideoClip?
        for start in stride(from: 0, to: latent.frames, by: strideLatent) {
            let piece = latent.frames(start..<min(start + tileLatentFrames + 1, latent.frames))
            var decoded = try decodeSpatially(piece, decodePiece: decodePiece)
            // Every tile after the first starts on the frame the previous tile ended its stride on.
            if start > 0 { decoded = decoded.frames(1..<decoded.frames) }
            if let previous { Self.blendTime(from: previous, into: &decoded, extent: blend) }
            let keep = min(decoded.frames, previous == nil ? strideFrames + 1 : strideFrames, sampleFrames - emitted)
            if keep > 0 {
                let final = decoded.frames(0..<keep)
                try emit(final, emitted)
                kept.append(final)
                emitted += keep
            }
            previous = decoded
        }
        guard let clip = VideoClip.joined(kept) else { preconditionFailure("a clip has at least one latent frame") }
        return clip
    }

    /// `tiled_decode` where enabled and the latent is larger than a tile, else one decode.
    func decodeSpatially(_ latent: VideoClip, decodePiece: (VideoClip) throws -> VideoClip) throws -> VideoClip {
        guard spatial, latent.height > tileLatent || latent.width > tileLatent else { return try decodePiece(latent) }
        let tiling = TiledDecoding(
            tileLatent: tileLatent, strideLatent: strideSample / Self.spatialFactor, blendSample: tileSample - strideSample,
            keepSample: strideSample)
        let frames = latent.frames
        let planes = try tiling.decode(latent.planes) { tile in
            try decodePiece(VideoClip(planes: tile, channels: tile.channels / frames)).planes
        }
        return VideoClip(planes: planes, channels: planes.channels / ((frames - 1) * Self.temporalFactor + 1))
    }

    /// diffusers' `blend_t`: the tile's first frames fade in over the previous tile's last ones.
    static func blendTime(from previous: VideoClip, into tile: inout VideoClip, extent: Int) {
        let extent = min(previous.frames, tile.frames, extent)
        guard extent > 0 else { return }
        let plane = tile.plane
        for c in 0..<tile.channels {
            for f in 0..<extent {
                let (keep, take) = TiledDecoding.weights(f, extent)
                let a = (c * previous.frames + previous.frames - extent + f) * plane
                let b = (c * tile.frames + f) * plane
                for p in 0..<plane { tile.data[b + p] = previous.data[a + p] * keep + tile.data[b + p] * take }
            }
        }
    }
}
