import Foundation

@testable import LatentKit

/// Reference data copied from the project's shared fixtures (made with diffusers/PyTorch) into Tests/Fixtures.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    static func data(_ path: String) throws -> Data { try Data(contentsOf: url(path)) }

    static func file(_ path: String) throws -> LatentFile {
        try LatentFile.read(contentsOf: url(path))
    }

    /// The seed-99 `[1,4,8,8]` float32 latent every format fixture holds.
    static func referenceLatent() throws -> Tensor {
        try file("formats/latent.safetensors").latent(key: "latents").tensor
    }
}

/// A float32 tensor from values, for tests.
func tensor(_ values: [Float], _ shape: [Int], _ dtype: DType = .float32) throws -> Tensor {
    try Tensor(values: values, shape: shape, dtype: dtype)
}

/// Reads expecting failure, and returns the error so tests can check the message.
func readFailure(_ data: Data, name: String = "bad.safetensors", limits: ReadLimits = .default)
    -> LatentFileError?
{
    do {
        _ = try LatentFile.read(data: data, fileName: name, limits: limits)
        return nil
    } catch {
        return error
    }
}
