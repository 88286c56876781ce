import ArgumentParser
import Foundation
import LatentKit
import Workbench

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print pictures in the terminal: images, decoded results, or latents decoded on the way.",
        discussion: """
            Each file is printed under its name, fitted to the terminal's width and height (or to --width and \
            --height cells), with kitty graphics, iTerm2 inline images, sixel or half blocks as the terminal \
            allows. A video shows its first frame, or plays in place with --play. A latent is decoded first: on \
            this machine with --engine (approx by default, which needs no weights), or on --endpoint. A file \
            that cannot be shown is reported on stderr, the others are still shown, and the exit status is 1.

            Examples:
              latentty show decoded/sd15_512_seed13.png
              latentty show Samples/sd15_512_seed13.safetensors --engine tiny --vae ~/models/taesd
              latentty show decoded/hunyuanvideo_256_9f_seed13.mp4 --play --loop 3
              latentty show a.png b.jpg --graphics sixel --width 40 --no-caption
            """)

    @OptionGroup var presets: PresetOptions

    @Argument(help: "PNG or JPEG images, decoded results (.mp4, or .safetensors from --output-type pt) or latent files.")
    var files: [String]

    @Option(help: "Width in character cells (default: the terminal's; 80 into a pipe or a file).")
    var width: Int?

    @Option(help: "Height in character cells (default: what fits on the terminal's screen; into a pipe, what the width gives).")
    var height: Int?

    @OptionGroup var graphicsOptions: GraphicsOptions

    @Flag(name: .customLong("no-caption"), help: "Leave out the line with each file's name.")
    var noCaption = false

    @Flag(help: "Play videos and batches in place instead of showing their first frame.")
    var play = false

    @Option(help: "Frames per second with --play (default: the video's own, else 15).")
    var fps: Double?

    @Option(help: "Times to play each video with --play.")
    var loop: Int = 1

    @OptionGroup var latent: LatentOptions

    @Option(help: "Decode latents on this endpoint instead of this machine; repeat to spread them over several.")
    var endpoint: [String] = []

    @OptionGroup var engineOptions: EngineOptions

    @OptionGroup var remote: RemoteOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one file to show") }
        try BackendOptions.validate(endpoints: endpoint)
        if let width, width < 1 { throw ValidationError("--width must be at least 1 cell") }
        if let height, height < 1 { throw ValidationError("--height must be at least 1 cell") }
        if let fps, !(fps > 0 && fps.isFinite) { throw ValidationError("--fps must be a number above 0") }
        guard loop >= 1 else { throw ValidationError("--loop must be at least 1") }
        if !play && (fps != nil || loop != 1) { throw ValidationError("--fps and --loop are for playing videos: add --play") }
    }

    func run() async throws {
        // A mistyped --preset stops everything; the catalog is otherwise read only for a latent.
        var decoder = try latent.preset.map { _ in try LatentDecoder(command: self) }
        let pictures = PictureShow(
            choice: try graphicsOptions.choice(configFile: presets.configFile), columns: width, rows: height, captions: !noCaption)
        var failures = 0
        var interrupted = false
        for path in files {
            do {
                let frames: ResultFrames
                switch try ResultFrames.open(path) {
                case .frames(let read):
                    frames = read
                case .latent(let file):
                    let latents = try decoder ?? LatentDecoder(command: self)
                    decoder = latents
                    frames = try await latents.decode(file, path: path)
                }
                let playback = play ? Playback(framesPerSecond: fps, loops: loop) : nil
                interrupted = !(try await pictures.show(frames, caption: path, playback: playback))
            } catch {
                failures += 1
                printError("cannot show \(path): \(error)")
            }
            if interrupted { break }
        }
        pictures.finish()
        // What a shell reports for a program ^C ended.
        if interrupted { throw ExitCode(128 + SIGINT) }
        if failures > 0 { throw ExitCode(1) }
    }

    /// Latents decode through the same backends as `decode`.
    struct LatentDecoder {
        let catalog: PresetCatalog
        let requested: Preset?
        let registry: BackendRegistry
        let backend: BackendChoice
        let key: String?
        let space: LatentSpace?

        init(command: ShowCommand) throws {
            let catalog = try command.presets.catalog()
            let requested = try command.latent.preset.map { try command.presets.preset($0, in: catalog) }
            // Without --endpoint on this machine: a preview should not send a file away unasked.
            let backend = BackendChoice(endpoints: command.endpoint, local: true, engine: command.engineOptions)
            registry = try reportingErrors { try backend.makeRegistry(remote: command.remote, preset: requested, concurrency: 1) }
            self.backend = backend
            self.catalog = catalog
            self.requested = requested
            key = command.latent.key
            space = command.latent.space
        }

        /// Asked for as PNG, so the pixels are exactly the decoder's (a batch or video comes back as
        /// a uint8 tensor, which is exact too).
        func decode(_ file: LatentFile, path: String) async throws -> ResultFrames {
            let job = try JobLoader.job(
                file: file, path: path, key: key, preset: requested, catalog: catalog, backend: backend.identity(for:), outputType: .pil,
                format: .png, space: space, height: nil, width: nil)
            let name = job.name
            let result = try await registry.backend(for: job.backend).run(job) { update in
                if case .retrying(let reason, _) = update { printError("retrying \(name): \(reason)") }
            }
            return try ResultFrames.frames(of: result.payload, name: path)
        }
    }
}
