/// The values a `torch.save` pickle may build. Anything else is refused before it exists.
///
/// Containers are indices into `Pickle.containers`, as Python's are references: a memo entry shares
/// the container it names, APPEND and SETITEM grow it in place (amortised O(1)), and no value holds
/// another inside it, so neither building nor freeing a deeply nested pickle recurses.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list(Int)
    case tuple(Int)
    /// Keys and values alternate in the container's items.
    case dict(Int)
    case global(AllowedGlobal)
    /// A `BINPERSID` storage reference: `('storage', torch.FloatStorage, key, location, numel)`.
    case storage(TorchStorageReference)
    case tensor(TorchTensorReference)
}

/// What a pickle built: its result and every container it made.
struct Pickle {
    let root: PickleValue
    let containers: [[PickleValue]]
}

struct TorchStorageReference {
    let key: String
    let dtype: StorageDType
    let elementCount: Int
}

struct TorchTensorReference {
    let storage: TorchStorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

enum StorageDType {
    case native(DType)
    case float64
    var byteSize: Int {
        switch self {
        case .native(let dtype): dtype.byteSize
        case .float64: 8
        }
    }
    /// Bytes per element once read: float64 storages become float32 tensors.
    var decodedByteSize: Int {
        switch self {
        case .native(let dtype): dtype.byteSize
        case .float64: 4
        }
    }
}

/// The only callables a tensor pickle needs. Every other global is refused by name.
enum AllowedGlobal: Equatable {
    case rebuildTensorV2
    case rebuildParameter
    case orderedDict
    case storageType(String)

    init?(module: String, name: String) {
        switch (module, name) {
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch", "FloatStorage"), ("torch", "HalfStorage"), ("torch", "BFloat16Storage"),
            ("torch", "ByteStorage"), ("torch", "DoubleStorage"):
            self = .storageType(name)
        default: return nil
        }
    }

    var storageDType: StorageDType? {
        guard case .storageType(let name) = self else { return nil }
        switch name {
        case "FloatStorage": return .native(.float32)
        case "HalfStorage": return .native(.float16)
        case "BFloat16Storage": return .native(.bfloat16)
        case "ByteStorage": return .native(.uint8)
        case "DoubleStorage": return .float64
        default: return nil
        }
    }
}

/// A pickle reader for protocol 2–5 that builds values and never calls anything: `REDUCE` is
/// interpreted only for the allowed globals above. Hand-written because a Swift package that
/// unpickles safely does not exist, and Python's own unpickler is the attack surface to avoid.
struct RestrictedUnpickler {
    private let bytes: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var containers: [[PickleValue]] = []
    private var made = 0

    /// Every value an opcode makes counts against this, so a pickle cannot make memory grow faster
    /// than its own length allows, whatever it stacks, memoizes or appends.
    static let maxValues = 1_000_000

    init(bytes: [UInt8]) { self.bytes = bytes }

    static func load(_ bytes: [UInt8]) throws(LatentFileError) -> Pickle {
        var unpickler = RestrictedUnpickler(bytes: bytes)
        let root = try unpickler.run()
        return Pickle(root: root, containers: unpickler.containers)
    }

    private mutating func run() throws(LatentFileError) -> PickleValue {
        while true {
            let offset = position
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case 0x2E:  // STOP
                guard let result = stack.popLast() else { throw fail("empty stack at STOP") }
                return result
            case 0x28: marks.append(stack.count)  // MARK
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: try push(try peek())  // DUP
            case 0x4E: try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))
            case 0x4A: try push(.int(Int(Int32(bitPattern: try uint(4)))))  // BININT
            case 0x4B: try push(.int(Int(try uint(1))))  // BININT1
            case 0x4D: try push(.int(Int(try uint(2))))  // BININT2
            case 0x8A: try push(.int(try long(Int(try uint(1)))))  // LONG1
            case 0x47:  // BINFLOAT, big-endian
                let raw = try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                try push(.float(Double(bitPattern: raw)))
            case 0x58: try push(.string(try text(Int(try uint(4)))))  // BINUNICODE
            case 0x8C: try push(.string(try text(Int(try uint(1)))))  // SHORT_BINUNICODE
            case 0x8D: try push(.string(try text(try length8())))  // BINUNICODE8
            case 0x54: try push(.string(try text(Int(try uint(4)))))  // BINSTRING (py2 str)
            case 0x55: try push(.string(try text(Int(try uint(1)))))  // SHORT_BINSTRING
            case 0x42: try push(.bytes(try take(Int(try uint(4)))))  // BINBYTES
            case 0x43: try push(.bytes(try take(Int(try uint(1)))))  // SHORT_BINBYTES
            case 0x7D: try push(.dict(try container([])))  // EMPTY_DICT
            case 0x5D: try push(.list(try container([])))  // EMPTY_LIST
            case 0x29: try push(.tuple(try container([])))  // EMPTY_TUPLE
            case 0x74: try push(.tuple(try container(try popMark())))  // TUPLE
            case 0x85: try push(.tuple(try container([try pop()])))  // TUPLE1
            case 0x86:  // TUPLE2
                let b = try pop()
                let a = try pop()
                try push(.tuple(try container([a, b])))
            case 0x87:  // TUPLE3
                let c = try pop()
                let b = try pop()
                let a = try pop()
                try push(.tuple(try container([a, b, c])))
            case 0x6C: try push(.list(try container(try popMark())))  // LIST
            case 0x64: try push(.dict(try container(try pairs(try popMark()))))  // DICT
            case 0x61:  // APPEND
                let item = try pop()
                try extend(list: try peek(), with: [item])
            case 0x65:  // APPENDS
                let items = try popMark()
                try extend(list: try peek(), with: items)
            case 0x73:  // SETITEM
                let value = try pop()
                let key = try pop()
                try extend(dict: try peek(), with: [key, value])
            case 0x75:  // SETITEMS
                let items = try pairs(try popMark())
                try extend(dict: try peek(), with: items)
            case 0x71: try memoize(Int(try uint(1)))  // BINPUT
            case 0x72: try memoize(Int(try uint(4)))  // LONG_BINPUT
            case 0x94: try memoize(memo.count)  // MEMOIZE
            case 0x68: try push(try recall(Int(try uint(1))))  // BINGET
            case 0x6A: try push(try recall(Int(try uint(4))))  // LONG_BINGET
            case 0x63:  // GLOBAL "module\nname\n"
                let module = try line()
                let name = try line()
                try push(.global(try allow(module: module, name: name)))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw fail("STACK_GLOBAL without strings")
                }
                try push(.global(try allow(module: module, name: name)))
            case 0x51: try push(try persistent(try pop()))  // BINPERSID
            case 0x52:  // REDUCE
                let arguments = try pop()
                let callable = try pop()
                try push(try reduce(callable, arguments))
            case 0x62:  // BUILD: torch sets tensor/dict state this way; the state carries nothing we need.
                _ = try pop()
            default:
                throw fail(
                    String(
                        format: "pickle opcode 0x%02X at byte %d is not one torch.save uses for tensors",
                        opcode, offset))
            }
        }
    }

    // MARK: - Stack

    private mutating func push(_ value: PickleValue) throws(LatentFileError) {
        try count(1)
        stack.append(value)
    }

    private mutating func count(_ values: Int) throws(LatentFileError) {
        made += values
        guard made <= Self.maxValues else {
            throw fail("the pickle makes more than \(Self.maxValues) values; it is not a latent file")
        }
    }

    private mutating func pop() throws(LatentFileError) -> PickleValue {
        guard let value = stack.popLast() else { throw fail("stack underflow") }
        if let mark = marks.last, stack.count < mark { throw fail("stack underflow past a mark") }
        return value
    }

    private func peek() throws(LatentFileError) -> PickleValue {
        guard let value = stack.last else { throw fail("stack underflow") }
        return value
    }

    private mutating func popMark() throws(LatentFileError) -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw fail("MARK missing") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func memoize(_ index: Int) throws(LatentFileError) {
        try count(1)
        memo[index] = try peek()
    }

    private func recall(_ index: Int) throws(LatentFileError) -> PickleValue {
        guard let value = memo[index] else { throw fail("memo entry \(index) is missing") }
        return value
    }

    // MARK: - Containers

    private mutating func container(_ items: [PickleValue]) throws(LatentFileError) -> Int {
        try count(1)
        containers.append(items)
        return containers.count - 1
    }

    private func pairs(_ items: [PickleValue]) throws(LatentFileError) -> [PickleValue] {
        guard items.count % 2 == 0 else { throw fail("odd number of dict items") }
        return items
    }

    private mutating func extend(list: PickleValue, with items: [PickleValue]) throws(LatentFileError) {
        guard case .list(let index) = list else { throw fail("APPEND to something that is not a list") }
        containers[index].append(contentsOf: items)
    }

    private mutating func extend(dict: PickleValue, with items: [PickleValue]) throws(LatentFileError) {
        guard case .dict(let index) = dict else { throw fail("SETITEM on something that is not a dict") }
        containers[index].append(contentsOf: items)
    }

    // MARK: - Globals, storages, tensors

    private func allow(module: String, name: String) throws(LatentFileError) -> AllowedGlobal {
        guard let global = AllowedGlobal(module: module, name: name) else {
            throw .forbiddenPickleGlobal(module: module, name: name)
        }
        return global
    }

    private func persistent(_ id: PickleValue) throws(LatentFileError) -> PickleValue {
        let fields: [PickleValue]
        if case .tuple(let index) = id { fields = containers[index] } else { fields = [] }
        guard fields.count == 5,
            case .string("storage") = fields[0],
            case .global(let type) = fields[1], let dtype = type.storageDType,
            case .string(let key) = fields[2],
            case .int(let count) = fields[4], count >= 0
        else { throw fail("a persistent id that is not a tensor storage") }
        return .storage(TorchStorageReference(key: key, dtype: dtype, elementCount: count))
    }

    private mutating func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws(LatentFileError)
        -> PickleValue
    {
        guard case .global(let global) = callable, case .tuple(let index) = arguments else {
            throw fail("REDUCE on something that is not an allowed callable")
        }
        let args = containers[index]
        switch global {
        case .orderedDict:
            return .dict(try container([]))
        case .rebuildParameter:
            guard let first = args.first, case .tensor = first else {
                throw fail("_rebuild_parameter without a tensor")
            }
            return first
        case .rebuildTensorV2:
            guard args.count >= 4, case .storage(let storage) = args[0], case .int(let offset) = args[1],
                let shape = integers(args[2]), let strides = integers(args[3]), shape.count == strides.count
            else { throw fail("_rebuild_tensor_v2 with unexpected arguments") }
            return .tensor(
                TorchTensorReference(storage: storage, offset: offset, shape: shape, strides: strides))
        case .storageType:
            throw fail("a storage type called directly")
        }
    }

    private func integers(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let index) = value else { return nil }
        var result: [Int] = []
        for item in containers[index] {
            guard case .int(let number) = item else { return nil }
            result.append(number)
        }
        return result
    }

    // MARK: - Bytes

    private func fail(_ detail: String) -> LatentFileError { .unsupportedPickle(detail: detail) }

    private mutating func byte() throws(LatentFileError) -> UInt8 {
        guard position < bytes.count else { throw fail("the pickle ends before STOP (truncated)") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws(LatentFileError) -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else {
            throw fail("the pickle ends inside a value (truncated)")
        }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    private mutating func uint(_ size: Int) throws(LatentFileError) -> UInt32 {
        try take(size).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    private mutating func length8() throws(LatentFileError) -> Int {
        let value = try take(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard value <= UInt64(bytes.count) else { throw fail("a string longer than the pickle") }
        return Int(value)
    }

    /// LONG1: little-endian two's complement of `count` bytes.
    private mutating func long(_ count: Int) throws(LatentFileError) -> Int {
        guard count <= 8 else { throw fail("an integer wider than 64 bits") }
        let raw = try take(count)
        guard !raw.isEmpty else { return 0 }
        var value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if count < 8, raw.last! & 0x80 != 0 { value |= ~UInt64(0) << (8 * count) }
        return Int(Int64(bitPattern: value))
    }

    private mutating func text(_ count: Int) throws(LatentFileError) -> String {
        String(decoding: try take(count), as: UTF8.self)
    }

    private mutating func line() throws(LatentFileError) -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else {
            throw fail("GLOBAL name not terminated")
        }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }
}
