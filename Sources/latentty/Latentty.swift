import ArgumentParser

@main
struct Latentty: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latentty",
        abstract: "A terminal workbench for VAE decoding.",
        discussion:
            "Load or generate diffusion latents, inspect them, and decode them locally or against a Hybrid Inference endpoint. Presets: sd15, sdxl, flux, hunyuanvideo, plus your own in $XDG_CONFIG_HOME/latentty/config.toml.",
        subcommands: [
            WorkbenchCommand.self, GenerateCommand.self, InspectCommand.self, ModelsCommand.self, DecodeCommand.self, EncodeCommand.self,
            ShowCommand.self,
            ServeCommand.self,
            PresetsCommand.self,
            DoctorCommand.self, BenchCommand.self,
        ],
        defaultSubcommand: WorkbenchCommand.self
    )
}
