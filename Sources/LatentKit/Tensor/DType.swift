/// The element types a latent (or a decoded image tensor) can have.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float32
    case float16
    case bfloat16
    case uint8

    public var byteSize: Int {
        switch self {
        case .float32: 4
        case .float16, .bfloat16: 2
        case .uint8: 1
        }
    }

    public var isFloatingPoint: Bool { self != .uint8 }

    /// The dtype string safetensors headers use.
    public var safetensorsName: String {
        switch self {
        case .float32: "F32"
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .uint8: "U8"
        }
    }

    public init?(safetensorsName: String) {
        guard let match = DType.allCases.first(where: { $0.safetensorsName == safetensorsName }) else {
            return nil
        }
        self = match
    }

    /// Accepts the names people type: `float16`, `fp16`, `f16`, `half`, `bf16`, …
    public init?(userName: String) {
        switch userName.lowercased() {
        case "float32", "fp32", "f32", "float": self = .float32
        case "float16", "fp16", "f16", "half": self = .float16
        case "bfloat16", "bf16": self = .bfloat16
        case "uint8", "u8": self = .uint8
        default: return nil
        }
    }
}
