import Foundation
import LatentKit

public enum JobLoadError: Error, Equatable, CustomStringConvertible {
    case noPreset(shape: [Int])

    public var description: String {
        switch self {
        case .noPreset(let shape): "no preset takes a latent of shape \(shape.shapeText); choose one with --preset"
        }
    }
}

/// Turns a latent file into a decode job, taking what the file's own metadata says
/// (latentty's and save_latents.py's keys) unless the caller says otherwise.
public enum JobLoader {
    public static func job(
        path: String, key: String?, preset requested: Preset?, catalog: PresetCatalog, backend: (Preset) throws -> BackendIdentity,
        outputType: OutputType?, format: ImageFormat?, space: LatentSpace?, height: Int?, width: Int?
    ) throws -> DecodeJob {
        try job(
            file: LatentFile.read(contentsOf: URL(fileURLWithPath: path)), path: path, key: key, preset: requested, catalog: catalog,
            backend: backend, outputType: outputType, format: format, space: space, height: height, width: width)
    }

    /// The same for a file already read (callers that also want its report read it once).
    public static func job(
        file: LatentFile, path: String, key: String?, preset requested: Preset?, catalog: PresetCatalog,
        backend: (Preset) throws -> BackendIdentity,
        outputType: OutputType?, format: ImageFormat?, space: LatentSpace?, height: Int?, width: Int?
    ) throws -> DecodeJob {
        let url = URL(fileURLWithPath: path)
        let latent = try file.latent(key: key)
        let metadata = file.metadata
        guard
            let preset = requested ?? metadata["latentty.preset"].flatMap(catalog.preset(named:))
                ?? Preset.suggestions(for: latent.tensor.shape, among: catalog.presets).first
        else { throw JobLoadError.noPreset(shape: latent.tensor.shape) }
        let size = metadata["latentty.size"].flatMap { try? GenerationRequest.parseSize($0) }
        let options = DecodeOptions(
            outputType: outputType ?? preset.outputType, imageFormat: format ?? preset.imageFormat,
            height: height ?? size?.height, width: width ?? size?.width)
        let resolvedSpace = space ?? file.space ?? metadata["latentty.space"].flatMap(LatentSpace.init(rawValue:)) ?? .diffusion
        let name = url.deletingPathExtension().lastPathComponent + (key.map { "_" + $0 } ?? "")
        return DecodeJob(
            name: name, source: JobSource(path: path, key: key, seed: metadata["latentty.seed"].flatMap(UInt64.init)),
            latent: latent.tensor, space: resolvedSpace, preset: preset, backend: try backend(preset), options: options)
    }
}
