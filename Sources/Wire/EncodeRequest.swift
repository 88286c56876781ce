import LatentKit

/// A `remote_encode` call: a PNG image or a raw `[B,3,H,W]` tensor in, a scaled latent out.
public struct EncodeRequest: Sendable, Equatable {
    public enum Input: Sendable, Equatable {
        case png([UInt8])
        case tensor(Tensor)
    }

    public var input: Input
    public var scalingFactor: Double?
    public var shiftFactor: Double?

    public init(input: Input, scalingFactor: Double? = nil, shiftFactor: Double? = nil) {
        self.input = input
        self.scalingFactor = scalingFactor
        self.shiftFactor = shiftFactor
    }

    /// As diffusers sends it: factors first, then shape and dtype for tensors; no Content-Type.
    public var wire: WireRequest {
        var query: [QueryItem] = []
        if let scalingFactor { query.append(QueryItem("scaling_factor", pythonRepr(scalingFactor))) }
        if let shiftFactor { query.append(QueryItem("shift_factor", pythonRepr(shiftFactor))) }
        switch input {
        case .png(let bytes):
            return WireRequest(query: query, headers: [], body: bytes)
        case .tensor(let tensor):
            query += tensor.shape.map { QueryItem("shape", String($0)) }
            query.append(QueryItem("dtype", tensor.dtype.rawValue))
            return WireRequest(query: query, headers: [], body: tensor.bytes)
        }
    }

    /// The scaled latent `[1,C,H/8,W/8]` an encode endpoint answers with.
    public static func parseResponse(_ response: WireResponse) throws(WireError) -> Tensor {
        try ErrorBody.check(response)
        return try DecodedPayload.tensor(from: response, bounds: nil)
    }

    /// An encode endpoint's answer carrying `latent`.
    public static func response(_ latent: Tensor) -> WireResponse {
        WireResponse(status: 200, headers: tensorHeaders(latent), body: latent.bytes)
    }
}
