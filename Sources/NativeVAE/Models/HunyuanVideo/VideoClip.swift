/// One clip as plain C×T×H×W f32 values (batch 1): what goes into and comes out of the video
/// decoder, and what its tiling crops and blends.
struct VideoClip {
    var channels: Int
    var frames: Int
    var height: Int
    var width: Int
    var data: [Float]

    init(channels: Int, frames: Int, height: Int, width: Int, data: [Float]) {
        precondition(data.count == channels * frames * height * width)
        self.channels = channels
        self.frames = frames
        self.height = height
        self.width = width
        self.data = data
    }

    /// The first `channels` channels of a channels-last clip with its frames stacked vertically.
    init(stacked: borrowing Activation, channels: Int, frames: Int, context: DNNL) throws {
        let map = try stacked.featureMap(context: context)
        self.init(
            channels: channels, frames: frames, height: stacked.height / frames, width: stacked.width,
            data: Array(map.data[0..<(channels * stacked.pixels)]))
    }

    /// The same values read as C×(T·H)×W: frames stacked vertically, per channel.
    var stacked: FeatureMap { FeatureMap(channels: channels, height: frames * height, width: width, data: data) }

    /// The same values read as (C·T) planes of H×W, for cropping and blending in space.
    var planes: FeatureMap { FeatureMap(channels: channels * frames, height: height, width: width, data: data) }

    init(planes: FeatureMap, channels: Int) {
        self.init(
            channels: channels, frames: planes.channels / channels, height: planes.height, width: planes.width, data: planes.data)
    }

    var plane: Int { height * width }

    /// Frames `range` of the clip.
    func frames(_ range: Range<Int>) -> VideoClip {
        var values: [Float] = []
        values.reserveCapacity(channels * range.count * plane)
        for c in 0..<channels {
            let start = (c * frames + range.lowerBound) * plane
            values += data[start..<(start + range.count * plane)]
        }
        return VideoClip(channels: channels, frames: range.count, height: height, width: width, data: values)
    }

    /// The clips one after another in time.
    static func joined(_ clips: [VideoClip]) -> VideoClip? {
        guard let first = clips.first else { return nil }
        let frames = clips.map(\.frames).reduce(0, +)
        var values: [Float] = []
        values.reserveCapacity(first.channels * frames * first.plane)
        for c in 0..<first.channels {
            for clip in clips { values += clip.data[(c * clip.frames * clip.plane)..<((c + 1) * clip.frames * clip.plane)] }
        }
        return VideoClip(channels: first.channels, frames: frames, height: first.height, width: first.width, data: values)
    }
}
