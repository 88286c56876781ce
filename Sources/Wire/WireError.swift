import LatentKit

/// What can be wrong with a request or response of the Hybrid Inference protocol.
public enum WireError: Error, Equatable, CustomStringConvertible {
    case missingParameter(String)
    case badParameter(name: String, value: String, expected: String)
    case unknownDType(String)
    case bodyLengthMismatch(shape: [Int], dtype: DType, expected: Int, actual: Int)
    case missingHeader(String)
    case badHeader(name: String, value: String)
    case unexpectedBody(expected: String, received: String)
    case unsupported(String)
    /// A well-formed answer this request cannot have produced (a shape too large, a wrong dtype).
    case implausibleAnswer(String)
    /// The endpoint answered with an error status; `message` is what it said, cleaned of markup.
    case server(status: Int, message: String)

    /// Values, headers and server words quoted here come from the other side of the connection,
    /// so control characters are escaped wherever the error is printed.
    public var description: String { words.terminalSafe }

    private var words: String {
        switch self {
        case .missingParameter(let name):
            return "missing query parameter '\(name)'"
        case .badParameter(let name, let value, let expected):
            return "query parameter \(name)=\(value.prefix(64)) is not \(expected)"
        case .unknownDType(let name):
            return "unknown dtype '\(name.prefix(32))'; use float16, bfloat16, float32 or uint8"
        case .bodyLengthMismatch(let shape, let dtype, let expected, let actual):
            return "a \(dtype.rawValue) tensor of shape \(shape.shapeText) is \(expected) bytes, but the body is \(actual) bytes"
        case .missingHeader(let name):
            return "the response lacks the '\(name)' header a tensor response must carry"
        case .badHeader(let name, let value):
            return "the response header \(name): \(value.prefix(64)) is malformed"
        case .unexpectedBody(let expected, let received):
            return "expected \(expected) but the endpoint sent \(received)"
        case .unsupported(let what):
            return what
        case .implausibleAnswer(let what):
            return "the endpoint sent \(what)"
        case .server(let status, let message):
            return "the endpoint answered HTTP \(status)\(message.isEmpty ? "" : ": \(message)")\(Self.advice(for: status))"
        }
    }

    /// What a person can do about the statuses hosted endpoints really return.
    static func advice(for status: Int) -> String {
        switch status {
        case 401, 403: " (check HF_TOKEN or the token file; private endpoints need a token)"
        case 404: " (the endpoint URL may have changed; set it with --endpoint or in config.toml)"
        case 413: " (the latent is larger than the endpoint accepts)"
        case 429: " (rate limited; retry later or lower --concurrency)"
        case 503: " (the endpoint may be scaled to zero and starting; retry in a minute)"
        default: ""
        }
    }
}
