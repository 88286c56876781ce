import Foundation

/// `torch.save` files (the zip format of PyTorch ≥ 1.6): `<root>/data.pkl` plus one `<root>/data/<key>`
/// member per storage. Tensors are rebuilt from the restricted unpickler's references, honouring
/// storage offsets and strides.
enum TorchCheckpoint {
    static let formatName = "PyTorch .pt"
    /// torch.save of a latent nests a few levels; past this a file is built to exhaust the reader.
    static let maxDepth = 1_000
    /// A memo entry recalled again and again lets a small pickle describe a huge tree: the walk that
    /// names tensors stops after this many values, or this many bytes of names.
    static let maxWalkedValues = 100_000
    static let maxNameBytes = 8 << 20

    struct Contents {
        var tensors: [NamedTensor] = []
        var metadata: [String: String] = [:]
    }

    static func read(_ members: inout ZipMembers, limits: ReadLimits) throws(LatentFileError) -> Contents {
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
        let pickle = try RestrictedUnpickler.load(try members.read(picklePath))
        var contents = Contents()
        var storages: [String: [UInt8]] = [:]
        // Views may repeat a storage's elements (zero strides, several tensors over one storage); what
        // they produce beyond the storages' own bytes is capped.
        var allowance = limits.maxViewExpansionBytes
        try walk(pickle, into: &contents) { name, reference throws(LatentFileError) in
            let key = reference.storage.key
            if storages[key] == nil {
                let bytes = try members.read(root + "data/" + key)
                allowance = saturatingSum(allowance, bytes.count)
                storages[key] = bytes
            }
            return try materialize(
                reference, named: name, storage: storages[key]!, allowance: &allowance,
                limit: limits.maxViewExpansionBytes)
        }
        return contents
    }

    /// Walks dicts, lists and tuples without recursion, naming each tensor by its path
    /// (`latents`, `samples.0`), in the order the pickle holds them.
    private static func walk(
        _ pickle: Pickle, into contents: inout Contents,
        tensor: (String, TorchTensorReference) throws(LatentFileError) -> Tensor
    ) throws(LatentFileError) {
        var pending: [(value: PickleValue, name: String, depth: Int)] = [(pickle.root, "", 0)]
        var values = 1
        var nameBytes = 0
        func visit(_ children: [(PickleValue, String)], depth: Int) throws(LatentFileError) {
            guard depth <= maxDepth else {
                throw .unsupportedPickle(detail: "its containers nest more than \(maxDepth) levels deep")
            }
            values += children.count
            nameBytes += children.reduce(0) { $0 + $1.1.utf8.count }
            guard values <= maxWalkedValues, nameBytes <= maxNameBytes else {
                throw .unsupportedPickle(
                    detail:
                        "it describes more than \(maxWalkedValues) values or \(maxNameBytes >> 20) MiB of names (one value recalled again and again?)"
                )
            }
            pending += children.reversed().map { ($0.0, $0.1, depth) }
        }
        while let (value, name, depth) = pending.popLast() {
            func child(_ key: String) -> String { name.isEmpty ? key : name + "." + key }
            switch value {
            case .tensor(let reference):
                let label = name.isEmpty ? "tensor" : name
                contents.tensors.append(NamedTensor(name: label, tensor: try tensor(label, reference)))
            case .dict(let index):
                let items = pickle.containers[index]
                let children = stride(from: 0, to: items.count - 1, by: 2).map {
                    (items[$0 + 1], child(scalarText(items[$0]) ?? "?"))
                }
                try visit(children, depth: depth + 1)
            case .list(let index), .tuple(let index):
                let children = pickle.containers[index].enumerated().map { ($1, child(String($0))) }
                try visit(children, depth: depth + 1)
            default:
                if let text = scalarText(value), !name.isEmpty { contents.metadata[name] = text }
            }
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

    /// Every size and offset here comes from the file, so all arithmetic is overflow-checked and the
    /// tensor's bytes are checked against the allowance before anything is allocated.
    private static func materialize(
        _ reference: TorchTensorReference, named name: String, storage bytes: [UInt8],
        allowance: inout Int, limit: Int
    ) throws(LatentFileError) -> Tensor {
        let storage = reference.storage
        let elementSize = storage.dtype.byteSize
        let (needed, tooMany) = storage.elementCount.multipliedReportingOverflow(by: elementSize)
        guard !tooMany, bytes.count >= needed else {
            throw .truncated(
                format: formatName,
                detail:
                    "storage \(storage.key) holds \(bytes.count) bytes, fewer than its \(storage.elementCount) elements need"
            )
        }
        guard let count = shapeElementCount(reference.shape), reference.strides.allSatisfy({ $0 >= 0 }),
            reference.offset >= 0
        else {
            throw .invalidShape(tensor: name, shape: reference.shape)
        }
        let outputSize = storage.dtype.decodedByteSize
        let (tensorBytes, overflow) = count.multipliedReportingOverflow(by: outputSize)
        guard !overflow else { throw .invalidShape(tensor: name, shape: reference.shape) }
        guard tensorBytes <= allowance else {
            throw .viewTooLarge(tensor: name, bytes: tensorBytes, limit: limit)
        }
        let available = bytes.count / elementSize
        if count > 0 {
            var last = reference.offset
            for (size, stride) in zip(reference.shape, reference.strides) {
                let (step, stepOverflow) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, sumOverflow) = last.addingReportingOverflow(step)
                guard !stepOverflow, !sumOverflow else { throw .invalidShape(tensor: name, shape: reference.shape) }
                last = sum
            }
            guard last < available else {
                func byteOffset(_ element: Int) -> Int {
                    let (value, overflow) = element.multipliedReportingOverflow(by: elementSize)
                    return overflow ? .max : value
                }
                throw .offsetsOutOfRange(
                    tensor: name, begin: byteOffset(reference.offset),
                    end: saturatingSum(byteOffset(last), elementSize), available: bytes.count)
            }
        }
        allowance -= tensorBytes
        switch storage.dtype {
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

/// A sum that stops at `Int.max`, for sizes reported or budgeted rather than used to index.
private func saturatingSum(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? .max : sum
}
