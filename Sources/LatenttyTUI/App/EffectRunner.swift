import DecodePipeline
import Foundation
import ImageCodecs
import LatentKit
import NativeVAE
import RemoteDecode
import Synchronization
import TerminalGraphics
import Workbench

/// Performs the reducer's effects in the background and reports back through the inbox.
final class EffectRunner: Sendable {
    let queue: DecodeQueue
    let inbox: Inbox
    let configFile: URL
    let settings: Settings
    let exportDirectory: URL
    private let watched = Mutex<Set<String>>([])

    init(queue: DecodeQueue, inbox: Inbox, configFile: URL, settings: Settings, exportDirectory: URL) {
        self.queue = queue
        self.inbox = inbox
        self.configFile = configFile
        self.settings = settings
        self.exportDirectory = exportDirectory
    }

    func perform(_ effect: Effect) {
        switch effect {
        case .quit, .allowTmuxPassthrough:
            // Quitting is the loop's; so is tmux, since it asks the terminal again.
            break
        case .list(let directory):
            Task.detached { [inbox] in inbox.post(.listed(directory: directory, entries: Self.list(directory))) }
        case .load(let paths, let presets):
            Task.detached { [inbox] in inbox.post(Self.open(paths, presets: presets)) }
        case .openEncoded(let job, let presets):
            Task.detached { [inbox] in inbox.post(Self.encodedSource(of: job, presets: presets)) }
        case .generate(let request, let presets):
            Task.detached { [inbox] in inbox.post(Self.generate(request, presets: presets)) }
        case .submit(let jobs, let limits):
            Task { [queue] in
                for (backend, limit) in limits { await queue.setConcurrency(limit, for: backend) }
                for job in jobs { await queue.submit(job) }
            }
        case .cancel(let id):
            Task { await queue.cancel(id) }
        case .resubmit(let id, let backend, let limit):
            Task { [queue] in
                if let limit { await queue.setConcurrency(limit, for: backend) }
                await queue.resubmit(id, to: backend)
            }
        case .move(let id, let offset):
            Task { await queue.move(id, by: offset) }
        case .clearFinished:
            Task { await queue.clearFinished() }
        case .export(let job):
            Task.detached { [inbox, settings, exportDirectory] in
                inbox.post(.message(Self.export(job, settings: settings, directory: exportDirectory)))
            }
        case .savePreset(let saved):
            Task.detached { [inbox, configFile, queue] in
                if !saved.endpoints.isEmpty { await queue.setConcurrency(saved.concurrency, for: .remote(endpoints: saved.endpoints)) }
                do {
                    try PresetCatalog.saveSettings(of: saved, to: configFile)
                    inbox.post(.message(StatusMessage("saved \(saved.id) to \(configFile.path)", .success)))
                } catch {
                    inbox.post(.message(StatusMessage(String(describing: error), .error)))
                }
            }
        case .watch(let folder, let presets):
            startWatching(folder, presets: presets)
        }
    }

    // MARK: - Background work

    /// Folders and the files with `extensions` in `directory`, folders first, in natural order.
    static func list(_ directory: String, extensions: Set<String> = FileDialog.openableExtensions) -> [FileDialog.Entry] {
        let url = URL(fileURLWithPath: directory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.compactMap { name -> FileDialog.Entry? in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path, isDirectory: &isDirectory) else {
                return nil
            }
            if isDirectory.boolValue { return FileDialog.Entry(name: name, isDirectory: true) }
            let ext = URL(fileURLWithPath: name).pathExtension.lowercased()
            return extensions.contains(ext) ? FileDialog.Entry(name: name, isDirectory: false) : nil
        }.sorted { $0.isDirectory != $1.isDirectory ? $0.isDirectory : NaturalOrder.precedes($0.name, $1.name) }
    }

    /// Opened files: images (by their extension) are read and checked for encoding, the rest are
    /// read as latents. Each file that fails is one sentence; the others go on.
    static func open(_ paths: [String], presets: [Preset]) -> Action {
        let (imagePaths, latentPaths) = (paths.filter(SourceImage.isImage), paths.filter { !SourceImage.isImage($0) })
        var (latents, errors) = load(latentPaths, presets: presets, preferred: nil)
        var images: [SourceImage] = []
        for path in imagePaths {
            do {
                images.append(try SourceImage.read(path))
            } catch {
                errors.append(error.description)
            }
        }
        return .loaded(latents, images: images, errors: errors)
    }

    /// The latent a finished encode job wrote, as a source named after the image, with the image
    /// as it was encoded for its pictures.
    static func encodedSource(of job: JobStatus, presets: [Preset]) -> Action {
        guard let latentPath = job.outputs.first(where: { $0.hasSuffix(".safetensors") }),
            let imagePath = job.outputs.first(where: { $0.hasSuffix(".png") })
        else { return .message(StatusMessage("\(job.name) was encoded, but its latent and image are not among its files", .error)) }
        do {
            let file = try LatentFile.read(contentsOf: URL(fileURLWithPath: latentPath))
            let tensor = try file.latent().tensor
            let image = try ImageDecoder.decode(Array(try Data(contentsOf: URL(fileURLWithPath: imagePath))))
            let preset = presets.first { $0.id == job.presetID }
            let report = try? LatentReport(file: file, key: nil, preset: preset, catalog: PresetCatalog(presets: presets))
            var latent = LoadedLatent(
                name: job.name, source: JobSource(path: latentPath, encodedBy: job.id), tensor: tensor, space: .diffusion,
                presetID: job.presetID, report: report)
            // At latent resolution, like the latent2rgb pictures of other latents.
            let factor = preset?.spatialFactor ?? 8
            latent.setPicture(ImageFitting.resize(image, width: max(1, image.width / factor), height: max(1, image.height / factor)))
            return .encoded(latent)
        } catch {
            return .message(StatusMessage("cannot open what \(job.name) was encoded to: \(error)", .error))
        }
    }

    static func load(_ paths: [String], presets: [Preset], preferred: Preset?) -> ([LoadedLatent], [String]) {
        var latents: [LoadedLatent] = []
        var errors: [String] = []
        let catalog = PresetCatalog(presets: presets)
        for path in paths {
            do {
                let file = try LatentFile.read(contentsOf: URL(fileURLWithPath: path))
                let job = try JobLoader.job(
                    file: file, path: path, key: nil, preset: preferred, catalog: catalog, backend: { _ in .local(.approx) },
                    outputType: nil,
                    format: nil,
                    space: nil, height: nil, width: nil)
                let report = try? LatentReport(file: file, key: nil, preset: job.preset, catalog: catalog)
                var latent = LoadedLatent(
                    name: job.name, source: job.source, tensor: job.latent, space: job.space, presetID: job.preset.id,
                    height: job.options.height, width: job.options.width, report: report)
                latent.setPicture(Self.picture(job))
                latents.append(latent)
            } catch {
                errors.append("\(URL(fileURLWithPath: path).lastPathComponent): \(error)")
            }
        }
        return (latents, errors)
    }

    /// latent2rgb of the first image (or first latent frame) at latent resolution: a long video
    /// latent must not cost a full-size decode of every frame just to be listed.
    /// The latent is prepared (unpacked, brought to VAE space) by the decode pipeline itself.
    static func picture(_ job: DecodeJob) -> RGBImage? {
        guard let request = try? job.request(), let latent = try? LocalDecoder.vaeLatent(request, preset: job.preset),
            latent.rank == 4 || latent.rank == 5
        else { return nil }
        let shape = latent.shape
        let (channels, height, width) = (shape[1], shape[shape.count - 2], shape[shape.count - 1])
        let frames = latent.rank == 5 ? shape[2] : 1
        let plane = height * width
        let values = latent.floatValues()
        var first: [Float] = []
        first.reserveCapacity(channels * plane)
        for channel in 0..<channels {
            let base = channel * frames * plane
            first += values[base..<(base + plane)]
        }
        var preset = job.preset
        preset.spatialFactor = 1
        preset.temporalFactor = nil
        guard let single = try? Tensor(values: first, shape: [1, channels, height, width]),
            let pixels = try? Latent2RGBEngine().decode(single, preset: preset),
            let image = try? TensorImages.images(from: pixels).first
        else { return nil }
        return image
    }

    static func generate(_ request: GenerateRequest, presets: [Preset]) -> Action {
        guard let preset = presets.first(where: { $0.id == request.presetID }) else {
            return .message(StatusMessage("unknown preset \(request.presetID)", .error))
        }
        do {
            var latents: [LoadedLatent] = []
            for index in 0..<request.count {
                let seed = request.seed + UInt64(index)
                let generation = GenerationRequest(preset: preset, width: request.width, height: request.height, frames: request.frames)
                let tensor = try generation.generate(seed: seed, dtype: request.dtype)
                let file = LatentFile(format: .safetensors, tensors: [NamedTensor(name: "latents", tensor: tensor)])
                let report = try? LatentReport(file: file, key: nil, preset: preset, catalog: PresetCatalog(presets: presets))
                var latent = LoadedLatent(
                    name: "\(preset.id)_\(request.width)x\(request.height)_seed\(seed)", source: JobSource(seed: seed), tensor: tensor,
                    space: .diffusion, presetID: preset.id, height: request.height, width: request.width, report: report)
                latent.setPicture(
                    Self.picture(
                        DecodeJob(
                            name: latent.name, source: latent.source, latent: tensor, preset: preset, backend: .local(.approx),
                            options: DecodeOptions(height: request.height, width: request.width))))
                latents.append(latent)
            }
            return .loaded(latents, errors: [])
        } catch {
            return .message(StatusMessage("\(error)", .error))
        }
    }

    /// Copies a finished job's files under the file-name pattern, named from the job's own preset and seed.
    static func export(_ job: JobStatus, settings: Settings, directory: URL) -> StatusMessage {
        let files = job.outputs.filter { !$0.hasSuffix(".json") }
        guard !files.isEmpty else { return StatusMessage("\(job.name) has no files to save", .warning) }
        do throws(FileSystemError) {
            try FileSystemError.accessing(directory, for: .creatingFolder) {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            }
            var written: [String] = []
            for (index, file) in files.enumerated() {
                let source = URL(fileURLWithPath: file)
                let base = settings.fileName(name: job.name, preset: job.presetID, seed: job.seed, index: index)
                var target = directory.appendingPathComponent(base).appendingPathExtension(source.pathExtension)
                var counter = 2
                while FileManager.default.fileExists(atPath: target.path) {
                    target = directory.appendingPathComponent("\(base)-\(counter)").appendingPathExtension(source.pathExtension)
                    counter += 1
                }
                guard FileManager.default.fileExists(atPath: source.path) else { throw .notFound(path: source.path) }
                try FileSystemError.accessing(target, for: .writing) { try FileManager.default.copyItem(at: source, to: target) }
                written.append(target.path)
            }
            return StatusMessage("saved \(written.first!)\(written.count > 1 ? " (+\(written.count - 1))" : "")", .success)
        } catch {
            return StatusMessage("cannot save \(job.name): \(error)", .error)
        }
    }

    /// Polls `folder` once a second; files whose size held still across two looks are loaded and
    /// decoded (a pipeline still writing one is left alone until it is done).
    /// New latents go to the reducer, which queues them as if the user had pressed d on them.
    func startWatching(_ folder: String, presets: [Preset]) {
        let isNew = watched.withLock { $0.insert(folder).inserted }
        guard isNew else { return }
        inbox.post(.message(StatusMessage("watching \(folder) for new latents", .info)))
        // Latents only: encoding images that appear could feed on the workbench's own pictures.
        let existing = Set(Self.list(folder, extensions: FileDialog.latentExtensions).filter { !$0.isDirectory }.map(\.name))
        // A thread of its own: polling must not depend on the task pool having a free thread.
        Thread.detachNewThread { [self] in
            var known = existing
            var sizes: [String: Int] = [:]
            while true {
                Thread.sleep(forTimeInterval: 1)
                for entry in Self.list(folder, extensions: FileDialog.latentExtensions)
                where !entry.isDirectory && !known.contains(entry.name) {
                    let path = URL(fileURLWithPath: folder).appendingPathComponent(entry.name).path
                    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
                    if sizes[entry.name] == size, size > 0 {
                        known.insert(entry.name)
                        let (latents, errors) = Self.load([path], presets: presets, preferred: nil)
                        inbox.post(.arrived(latents, errors: errors))
                    } else {
                        sizes[entry.name] = size
                    }
                }
            }
        }
    }
}
