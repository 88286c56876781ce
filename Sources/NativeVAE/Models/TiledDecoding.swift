/// diffusers' `tiled_decode`: tiles of `tileLatent` cells every `strideLatent` cells, each decoded
/// alone, blended with the tile above then the one to the left (linear ramps over `blendSample`
/// pixels, in place, so later blends see already-blended neighbours), cropped to `keepSample` and
/// joined. Feature maps may stack several frames' channels (a video tile's C·T planes): every
/// plane is cropped and blended alike. `tiled_encode` is the same walk the other way round: tiles
/// and strides in pixels, blends and crops in latent cells (`init(encodingTileSample:…)`).
struct TiledDecoding {
    let tileLatent: Int
    let strideLatent: Int
    let blendSample: Int
    let keepSample: Int

    init(tileLatent: Int, strideLatent: Int, blendSample: Int, keepSample: Int) {
        self.tileLatent = tileLatent
        self.strideLatent = strideLatent
        self.blendSample = blendSample
        self.keepSample = keepSample
    }

    /// AutoencoderKL's layout: tiles overlap by `overlapFactor` of their size.
    init(tileLatent: Int, overlapFactor: Double, factor: Int) {
        let tileSample = tileLatent * factor
        let blend = Int(Double(tileSample) * overlapFactor)
        self.init(
            tileLatent: tileLatent, strideLatent: Int(Double(tileLatent) * (1 - overlapFactor)), blendSample: blend,
            keepSample: tileSample - blend)
    }

    func decode(_ latent: FeatureMap, decodeTile: (FeatureMap) throws -> FeatureMap) throws -> FeatureMap {
        let (stride, blend, rowLimit) = (strideLatent, blendSample, keepSample)
        var rows: [[FeatureMap]] = []
        for i in Swift.stride(from: 0, to: latent.height, by: stride) {
            var row: [FeatureMap] = []
            for j in Swift.stride(from: 0, to: latent.width, by: stride) {
                row.append(try decodeTile(Self.crop(latent, y: i, x: j, height: tileLatent, width: tileLatent)))
            }
            rows.append(row)
        }
        for i in rows.indices {
            for j in rows[i].indices {
                if i > 0 { blendVertical(from: rows[i - 1][j], into: &rows[i][j], extent: blend) }
                if j > 0 { blendHorizontal(from: rows[i][j - 1], into: &rows[i][j], extent: blend) }
            }
        }
        let pieces = rows.map { row in row.map { Self.crop($0, y: 0, x: 0, height: rowLimit, width: rowLimit) } }
        let height = pieces.map { $0[0].height }.reduce(0, +)
        let width = pieces[0].map(\.width).reduce(0, +)
        var output = FeatureMap(channels: latent.channels == 0 ? 0 : pieces[0][0].channels, height: height, width: width)
        var top = 0
        for row in pieces {
            var left = 0
            for piece in row {
                paste(piece, into: &output, y: top, x: left)
                left += piece.width
            }
            top += row[0].height
        }
        return output
    }

    /// The part of `map` at (y, x), at most `height`×`width`.
    static func crop(_ map: FeatureMap, y: Int, x: Int, height: Int, width: Int) -> FeatureMap {
        let h = min(height, map.height - y)
        let w = min(width, map.width - x)
        var out = FeatureMap(channels: map.channels, height: h, width: w)
        for c in 0..<map.channels {
            for row in 0..<h {
                let source = c * map.plane + (y + row) * map.width + x
                let target = c * h * w + row * w
                out.data.replaceSubrange(target..<(target + w), with: map.data[source..<(source + w)])
            }
        }
        return out
    }

    func paste(_ piece: FeatureMap, into map: inout FeatureMap, y: Int, x: Int) {
        for c in 0..<piece.channels {
            for row in 0..<piece.height {
                let source = c * piece.plane + row * piece.width
                let target = c * map.plane + (y + row) * map.width + x
                map.data.replaceSubrange(target..<(target + piece.width), with: piece.data[source..<(source + piece.width)])
            }
        }
    }

    /// Python computes the ramp in double and PyTorch multiplies with it as float32.
    static func weights(_ index: Int, _ extent: Int) -> (Float, Float) {
        let t = Double(index) / Double(extent)
        return (Float(1 - t), Float(t))
    }

    func blendVertical(from above: FeatureMap, into tile: inout FeatureMap, extent: Int) {
        let extent = min(above.height, tile.height, extent)
        guard extent > 0 else { return }
        for c in 0..<tile.channels {
            for y in 0..<extent {
                let (keep, take) = Self.weights(y, extent)
                let a = c * above.plane + (above.height - extent + y) * above.width
                let b = c * tile.plane + y * tile.width
                for x in 0..<min(tile.width, above.width) {
                    tile.data[b + x] = above.data[a + x] * keep + tile.data[b + x] * take
                }
            }
        }
    }

    func blendHorizontal(from left: FeatureMap, into tile: inout FeatureMap, extent: Int) {
        let extent = min(left.width, tile.width, extent)
        guard extent > 0 else { return }
        for c in 0..<tile.channels {
            for y in 0..<min(tile.height, left.height) {
                let a = c * left.plane + y * left.width + left.width - extent
                let b = c * tile.plane + y * tile.width
                for x in 0..<extent {
                    let (keep, take) = Self.weights(x, extent)
                    tile.data[b + x] = left.data[a + x] * keep + tile.data[b + x] * take
                }
            }
        }
    }
}
