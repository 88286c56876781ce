extension Tensor {
    /// Gathers a strided view (PyTorch `as_strided`) out of flat storage into a contiguous tensor.
    /// Callers have checked that every reachable element lies inside `storage`.
    static func gather(storage: [UInt8], dtype: DType, shape: [Int], strides: [Int], offset: Int)
        -> Tensor
    {
        let size = dtype.byteSize
        let count = shapeElementCount(shape) ?? 0
        var output = [UInt8](repeating: 0, count: count * size)
        guard count > 0 else { return Tensor(validated: dtype, shape: shape, bytes: output) }
        var index = [Int](repeating: 0, count: shape.count)
        var source = offset
        for destination in 0..<count {
            for byte in 0..<size { output[destination * size + byte] = storage[source * size + byte] }
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                source += strides[axis]
                if index[axis] < shape[axis] { break }
                source -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return Tensor(validated: dtype, shape: shape, bytes: output)
    }

    /// Contiguous strides (in elements) for a shape.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= max(shape[axis], 1)
        }
        return strides
    }

    /// The transpose that turns a Fortran-ordered array (read with its shape reversed) into C order.
    func reversingAxes() -> Tensor {
        // With a zero dimension the other sizes come unchecked from the file, and their product
        // (the strides) may overflow; there is nothing to move anyway.
        guard elementCount > 0 else { return Tensor(validated: dtype, shape: shape.reversed(), bytes: []) }
        let strides = Tensor.contiguousStrides(shape)
        return Tensor.gather(
            storage: bytes, dtype: dtype, shape: shape.reversed(), strides: strides.reversed(), offset: 0)
    }
}
