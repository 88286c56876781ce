import Foundation

/// One image's activations in NCHW order (batch items are decoded one at a time).
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

    /// In place: the residual connections add into a buffer nobody else holds.
    mutating func add(_ other: FeatureMap) {
        data.withUnsafeMutableBufferPointer { oBuffer in
            other.data.withUnsafeBufferPointer { rBuffer in
                let o = UnsafeSendable(oBuffer)
                let r = UnsafeSendable(rBuffer)
                let chunks = 8
                let size = (oBuffer.count + chunks - 1) / chunks
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    let o = o.value
                    let r = r.value
                    for i in (chunk * size)..<min((chunk + 1) * size, o.count) { o[i] += r[i] }
                }
            }
        }
    }

    /// Nearest-neighbour 2× upsampling.
    func upsampled() -> FeatureMap {
        // Every element is written below, so the buffer starts uninitialised.
        let total = channels * height * width * 4
        var out = FeatureMap(
            channels: channels, height: height * 2, width: width * 2,
            data: [Float](unsafeUninitializedCapacity: total) { _, initialized in initialized = total })
        let (w2, h2) = (width * 2, height * 2)
        data.withUnsafeBufferPointer { srcBuffer in
            out.data.withUnsafeMutableBufferPointer { dstBuffer in
                let source = UnsafeSendable(srcBuffer)
                let target = UnsafeSendable(dstBuffer)
                let (channels, plane, width) = (channels, plane, width)
                DispatchQueue.concurrentPerform(iterations: channels) { c in
                    let src = source.value
                    let dst = target.value
                    let sBase = c * plane
                    let dBase = c * h2 * w2
                    for y in 0..<h2 {
                        let sRow = sBase + (y / 2) * width
                        let dRow = dBase + y * w2
                        for x in 0..<w2 { dst[dRow + x] = src[sRow + x / 2] }
                    }
                }
            }
        }
        return out
    }

    mutating func applyReLU() {
        data.withUnsafeMutableBufferPointer { d in
            for i in 0..<d.count where d[i] < 0 { d[i] = 0 }
        }
    }
}
