import LatentKit

/// `output_type` as the protocol spells it.
public enum WireOutputType: String, Sendable, CaseIterable {
    case pil
    case pt
    case mp4
}

/// Every parameter of a decode call, in diffusers' names and semantics.
public struct DecodeParameters: Sendable, Equatable {
    public var outputType: WireOutputType
    public var partialPostprocess: Bool
    public var imageFormat: ImageFormat
    public var shape: [Int]
    public var dtype: DType
    /// The server decodes `latents / scaling_factor + shift_factor`; nil means already applied.
    public var scalingFactor: Double?
    public var shiftFactor: Double?
    /// Image size in pixels: required for packed (3-D) Flux latents.
    public var height: Int?
    public var width: Int?
    /// Deprecated `do_scaling=True`: the server applies its own default scaling factor.
    public var doScaling: Bool

    public init(
        outputType: WireOutputType = .pil, partialPostprocess: Bool = false, imageFormat: ImageFormat = .jpg,
        shape: [Int], dtype: DType, scalingFactor: Double? = nil, shiftFactor: Double? = nil,
        height: Int? = nil, width: Int? = nil, doScaling: Bool = false
    ) {
        self.outputType = outputType
        self.partialPostprocess = partialPostprocess
        self.imageFormat = imageFormat
        self.shape = shape
        self.dtype = dtype
        self.scalingFactor = scalingFactor
        self.shiftFactor = shiftFactor
        self.height = height
        self.width = width
        self.doScaling = doScaling
    }

    /// latentty's user-facing output type (`pt-uint8` is `pt` with partial post-processing).
    public mutating func apply(_ output: OutputType) {
        switch output {
        case .pil: outputType = .pil
        case .pt: outputType = .pt
        case .ptUInt8:
            outputType = .pt
            partialPostprocess = true
        case .mp4: outputType = .mp4
        }
    }

    /// The `Accept` header diffusers sends for these parameters.
    public var accept: String {
        switch outputType {
        case .pil: imageFormat == .png ? "image/png" : "image/jpeg"
        case .mp4: "text/plain"
        case .pt: "tensor/binary"
        }
    }

    /// Query items in exactly diffusers' order.
    public var queryItems: [QueryItem] {
        var items = [
            QueryItem("image_format", imageFormat.rawValue),
            QueryItem("output_type", outputType.rawValue),
            QueryItem("partial_postprocess", partialPostprocess ? "True" : "False"),
        ]
        items += shape.map { QueryItem("shape", String($0)) }
        items.append(QueryItem("dtype", dtype.rawValue))
        if let scalingFactor { items.append(QueryItem("scaling_factor", pythonRepr(scalingFactor))) }
        if let shiftFactor { items.append(QueryItem("shift_factor", pythonRepr(shiftFactor))) }
        if let height, let width {
            items.append(QueryItem("height", String(height)))
            items.append(QueryItem("width", String(width)))
        }
        if doScaling { items.append(QueryItem("do_scaling", "True")) }
        return items
    }
}

/// A decode call: parameters plus the raw latent bytes.
public struct DecodeRequest: Sendable, Equatable {
    public var parameters: DecodeParameters
    public var body: [UInt8]

    public init(parameters: DecodeParameters, body: [UInt8]) {
        self.parameters = parameters
        self.body = body
    }

    /// The request for `latent` with the rest of `parameters`; shape and dtype come from the tensor.
    public init(latent: Tensor, parameters: DecodeParameters) {
        var parameters = parameters
        parameters.shape = latent.shape
        parameters.dtype = latent.dtype
        self.init(parameters: parameters, body: latent.bytes)
    }

    public var wire: WireRequest {
        WireRequest(
            query: parameters.queryItems,
            headers: [Header("Content-Type", "tensor/binary"), Header("Accept", parameters.accept)],
            body: body)
    }

    /// The server's reading of a request, checked so that a bad one gets a precise 400.
    public static func parse(query: String, body: [UInt8]) throws(WireError) -> DecodeRequest {
        let items = QueryParameters(QueryString.decode(query))
        var parameters = DecodeParameters(shape: [], dtype: .float32)
        if let value = items.last("output_type") {
            guard let type = WireOutputType(rawValue: value.lowercased()) else {
                throw .badParameter(name: "output_type", value: value, expected: "pil, pt or mp4")
            }
            parameters.outputType = type
        }
        if let value = items.last("image_format") {
            guard let format = ImageFormat(rawValue: value.lowercased() == "jpeg" ? "jpg" : value.lowercased()) else {
                throw .badParameter(name: "image_format", value: value, expected: "jpg or png")
            }
            parameters.imageFormat = format
        }
        parameters.partialPostprocess = try items.bool("partial_postprocess") ?? false
        parameters.doScaling = try items.bool("do_scaling") ?? false
        let shape = try items.all("shape").map { value throws(WireError) -> Int in
            guard let size = Int(value), size > 0, size <= 1 << 20 else {
                throw .badParameter(name: "shape", value: value, expected: "a positive integer")
            }
            return size
        }
        guard !shape.isEmpty else { throw .missingParameter("shape") }
        guard (3...5).contains(shape.count) else {
            throw .badParameter(name: "shape", value: shape.shapeText, expected: "3-D (packed), 4-D (image) or 5-D (video)")
        }
        parameters.shape = shape
        guard let dtypeName = items.last("dtype") else { throw .missingParameter("dtype") }
        guard let dtype = DType(userName: dtypeName), dtype.isFloatingPoint else { throw .unknownDType(dtypeName) }
        parameters.dtype = dtype
        parameters.scalingFactor = try items.positiveDouble("scaling_factor")
        parameters.shiftFactor = try items.double("shift_factor")
        parameters.height = try items.dimension("height")
        parameters.width = try items.dimension("width")
        guard let count = shapeElementCount(shape), case (let expected, false) = count.multipliedReportingOverflow(by: dtype.byteSize)
        else {
            throw .badParameter(name: "shape", value: shape.shapeText, expected: "a shape that fits in memory")
        }
        guard expected == body.count else {
            throw .bodyLengthMismatch(shape: shape, dtype: dtype, expected: expected, actual: body.count)
        }
        if shape.count == 3, parameters.height == nil || parameters.width == nil {
            throw .missingParameter("height and width (required for packed 3-D latents)")
        }
        return DecodeRequest(parameters: parameters, body: body)
    }

    /// The latent as a tensor.
    public func latent() throws(WireError) -> Tensor {
        do {
            return try Tensor(dtype: parameters.dtype, shape: parameters.shape, bytes: body)
        } catch {
            let expected = (shapeElementCount(parameters.shape) ?? 0) * parameters.dtype.byteSize
            throw .bodyLengthMismatch(shape: parameters.shape, dtype: parameters.dtype, expected: expected, actual: body.count)
        }
    }
}

/// Typed reads of query values, with the reference server's leniency (`true`/`True`, ints as floats).
struct QueryParameters {
    let items: [QueryItem]

    init(_ items: [QueryItem]) { self.items = items }

    func all(_ name: String) -> [String] { items.filter { $0.name == name }.map(\.value) }
    func last(_ name: String) -> String? { all(name).last }

    func bool(_ name: String) throws(WireError) -> Bool? {
        guard let value = last(name) else { return nil }
        switch value.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw .badParameter(name: name, value: value, expected: "True or False")
        }
    }

    func double(_ name: String) throws(WireError) -> Double? {
        guard let value = last(name) else { return nil }
        guard let number = Double(value), number.isFinite else {
            throw .badParameter(name: name, value: value, expected: "a number")
        }
        return number
    }

    func positiveDouble(_ name: String) throws(WireError) -> Double? {
        guard let number = try double(name) else { return nil }
        guard number > 0 else { throw .badParameter(name: name, value: last(name)!, expected: "a positive number") }
        return number
    }

    func dimension(_ name: String) throws(WireError) -> Int? {
        guard let value = last(name) else { return nil }
        guard let number = Int(value), number > 0, number <= 65_536 else {
            throw .badParameter(name: name, value: value, expected: "a positive pixel count")
        }
        return number
    }
}

/// Python's `str(float)`: the shortest string that round-trips, as Swift's `description` also is.
func pythonRepr(_ value: Double) -> String {
    value.description
}
