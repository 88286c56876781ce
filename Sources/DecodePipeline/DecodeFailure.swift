import NativeVAE

/// Why a decode on this machine produced no answer, in words a person can act on. The server maps
/// these to HTTP statuses; the workbench to a job's failure.
public enum DecodeFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request itself is wrong for its preset (shape, dtype, output type, packing).
    case invalidRequest(String)
    /// The engine cannot decode this latent or failed while decoding it.
    case engine(EngineError)
    /// The pixels were decoded but could not be encoded (image or video).
    case encoding(String)

    public var description: String {
        switch self {
        case .invalidRequest(let reason), .encoding(let reason): reason
        case .engine(let error): error.description
        }
    }
}
