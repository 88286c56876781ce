import LatentKit

extension Tensor {
    /// A video tensor with its axes 1 and 2 exchanged: NTCHW (taehv.py's fixtures) ↔ NCTHW
    /// (latentty's video latents and outputs).
    public func swappingTimeAndChannels() throws -> Tensor {
        let s = shape
        let values = floatValues()
        var result = [Float](repeating: 0, count: values.count)
        let plane = s[3] * s[4]
        for b in 0..<s[0] {
            for i in 0..<s[1] {
                for j in 0..<s[2] {
                    let from = ((b * s[1] + i) * s[2] + j) * plane
                    let to = ((b * s[2] + j) * s[1] + i) * plane
                    result.replaceSubrange(to..<(to + plane), with: values[from..<(from + plane)])
                }
            }
        }
        return try Tensor(values: result, shape: [s[0], s[2], s[1], s[3], s[4]])
    }
}
