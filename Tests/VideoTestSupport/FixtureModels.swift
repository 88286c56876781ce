import Foundation

/// The test fixtures folder, `Tests/Fixtures`.
public let fixturesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// A fixture's weights (`weights`, a path under `Tests/Fixtures`) as the folder diffusers saves, made
/// under `root`: `vae/diffusion_pytorch_model.safetensors`, with `vae/config.json` from the fixture's
/// `<name>.config.json` where it has one.
public func fixtureModelFolder(_ weights: String, in root: URL) throws -> URL {
    let model = root.appendingPathComponent("vae")
    try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
        at: fixturesFolder.appendingPathComponent(weights), to: model.appendingPathComponent("diffusion_pytorch_model.safetensors"))
    let config = fixturesFolder.appendingPathComponent(weights.replacingOccurrences(of: ".safetensors", with: ".config.json"))
    if FileManager.default.fileExists(atPath: config.path) {
        try FileManager.default.copyItem(at: config, to: model.appendingPathComponent("config.json"))
    }
    return model
}
