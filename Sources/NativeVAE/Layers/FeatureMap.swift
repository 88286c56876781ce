/// One image as plain NCHW f32 values (batch 1): what goes into and comes out of a decoder, and
/// what tiled decoding crops and blends.
struct FeatureMap {
    var channels: Int
    var height: Int
    var width: Int
    var data: [Float]

    init(channels: Int, height: Int, width: Int, data: [Float]) {
        self.channels = channels
        self.height = height
        self.width = width
        self.data = data
    }

    init(channels: Int, height: Int, width: Int) {
        self.init(channels: channels, height: height, width: width, data: [Float](repeating: 0, count: channels * height * width))
    }

    var plane: Int { height * width }
}
