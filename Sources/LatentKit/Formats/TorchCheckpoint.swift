import Foundation

/// `torch.save` files (the zip format of PyTorch ≥ 1.6): `<root>/data.pkl` plus one `<root>/data/<key>`
/// member per storage. Tensors are rebuilt from the restricted unpickler's references, honouring
/// storage offsets and strides.
enum TorchCheckpoint {
    static let formatName = "PyTorch .pt"

    struct Contents {
        var tensors: [NamedTensor] = []
        var metadata: [String: String] = [:]
    }

    static func read(_ data: Data, limits: ReadLimits) throws(LatentFileError) -> Contents {
        let members = try ZipMembers(data: data, limits: limits, format: formatName)
        guard
            let picklePath = members.paths.first(where: { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") })
        else {
            throw .malformedHeader(
                format: formatName, detail: "the archive has no data.pkl; it is not a torch.save file")
        }
        let root = String(picklePath.dropLast("data.pkl".count))
        if let order = try? members.read(root + "byteorder"),
            String(decoding: order, as: UTF8.self) != "little"
        {
            throw .unsupportedPickle(detail: "the tensors were saved big-endian")
        }
        let value = try RestrictedUnpickler.load(try members.read(picklePath))
        var contents = Contents()
        var storages: [String: [UInt8]] = [:]
        try flatten(value, name: "", into: &contents) { reference throws(LatentFileError) in
            let key = reference.storage.key
            if storages[key] == nil { storages[key] = try members.read(root + "data/" + key) }
            return try materialize(reference, storage: storages[key]!)
        }
        return contents
    }

    /// Walks dicts, lists and tuples, naming each tensor by its path (`latents`, `samples.0`).
    private static func flatten(
        _ value: PickleValue, name: String, into contents: inout Contents,
        tensor: (TorchTensorReference) throws(LatentFileError) -> Tensor
    ) throws(LatentFileError) {
        func child(_ key: String) -> String { name.isEmpty ? key : name + "." + key }
        switch value {
        case .tensor(let reference):
            contents.tensors.append(
                NamedTensor(name: name.isEmpty ? "tensor" : name, tensor: try tensor(reference)))
        case .dict(let pairs):
            for (key, item) in pairs {
                try flatten(item, name: child(scalarText(key) ?? "?"), into: &contents, tensor: tensor)
            }
        case .list(let items), .tuple(let items):
            for (index, item) in items.enumerated() {
                try flatten(item, name: child(String(index)), into: &contents, tensor: tensor)
            }
        default:
            if let text = scalarText(value), !name.isEmpty { contents.metadata[name] = text }
        }
    }

    private static func scalarText(_ value: PickleValue) -> String? {
        switch value {
        case .none: "None"
        case .bool(let flag): flag ? "True" : "False"
        case .int(let number): String(number)
        case .float(let number): String(number)
        case .string(let text): text
        default: nil
        }
    }

    private static func materialize(_ reference: TorchTensorReference, storage bytes: [UInt8])
        throws(LatentFileError) -> Tensor
    {
        let name = reference.storage.key
        let elementSize = reference.storage.dtype.byteSize
        guard bytes.count >= reference.storage.elementCount * elementSize else {
            throw .truncated(
                format: formatName,
                detail:
                    "storage \(name) holds \(bytes.count) bytes, fewer than its \(reference.storage.elementCount) elements need"
            )
        }
        guard shapeElementCount(reference.shape) != nil, reference.strides.allSatisfy({ $0 >= 0 }),
            reference.offset >= 0
        else {
            throw .invalidShape(tensor: name, shape: reference.shape)
        }
        let available = bytes.count / elementSize
        if !reference.shape.contains(0) {
            var last = reference.offset
            for (size, stride) in zip(reference.shape, reference.strides) {
                let (step, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
                guard !overflow else { throw .invalidShape(tensor: name, shape: reference.shape) }
                last += step
            }
            guard last < available else {
                throw .offsetsOutOfRange(
                    tensor: name, begin: reference.offset * elementSize, end: (last + 1) * elementSize,
                    available: bytes.count)
            }
        }
        switch reference.storage.dtype {
        case .native(let dtype):
            return Tensor.gather(
                storage: bytes, dtype: dtype, shape: reference.shape, strides: reference.strides,
                offset: reference.offset)
        case .float64:
            let doubles = bytes.withUnsafeBytes { raw in
                (0..<available).map {
                    Float(
                        Double(
                            bitPattern: UInt64(
                                littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))))
                }
            }
            let floats = Tensor(
                validated: .float32, shape: [available], bytes: Tensor.encode(doubles, as: .float32))
            return Tensor.gather(
                storage: floats.bytes, dtype: .float32, shape: reference.shape, strides: reference.strides,
                offset: reference.offset)
        }
    }
}
