import LatentKit

extension EncodeRequest {
    /// The server's side: a body with `shape` and `dtype` in the query is a raw `[B,3,H,W]` image
    /// tensor; any other body is an image file, as diffusers sends a PIL image.
    public static func parse(query: String, body: [UInt8]) throws(WireError) -> EncodeRequest {
        let items = QueryParameters(QueryString.decode(query))
        let scaling = try items.positiveDouble("scaling_factor")
        let shift = try items.double("shift_factor")
        let shapeValues = items.all("shape")
        guard !shapeValues.isEmpty || items.last("dtype") != nil else {
            guard !body.isEmpty else {
                throw .unsupported("the body is empty: send a PNG image, or a [B,3,H,W] tensor with shape and dtype")
            }
            return EncodeRequest(input: .png(body), scalingFactor: scaling, shiftFactor: shift)
        }
        let shape = try shapeValues.map { value throws(WireError) -> Int in
            guard let number = Int(value), number > 0 else {
                throw .badParameter(name: "shape", value: value, expected: "a positive integer")
            }
            return number
        }
        guard shape.count == 4, shape[1] == 3 else {
            throw .badParameter(name: "shape", value: shape.shapeText, expected: "[B, 3, H, W] (a batch of RGB images)")
        }
        guard let dtypeName = items.last("dtype") else { throw .missingParameter("dtype") }
        guard let dtype = DType(userName: dtypeName), dtype.isFloatingPoint else { throw .unknownDType(dtypeName) }
        guard let count = shapeElementCount(shape), case (let expected, false) = count.multipliedReportingOverflow(by: dtype.byteSize)
        else {
            throw .badParameter(name: "shape", value: shape.shapeText, expected: "a shape that fits in memory")
        }
        guard expected == body.count else {
            throw .bodyLengthMismatch(shape: shape, dtype: dtype, expected: expected, actual: body.count)
        }
        do {
            return EncodeRequest(
                input: .tensor(try Tensor(dtype: dtype, shape: shape, bytes: body)), scalingFactor: scaling, shiftFactor: shift)
        } catch {
            throw .bodyLengthMismatch(shape: shape, dtype: dtype, expected: expected, actual: body.count)
        }
    }
}
