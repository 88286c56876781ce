import ArgumentParser
import LatentKit
import LatenttyTUI
import NativeVAE
import TerminalGraphics

// The library enums become option types here, so the parser itself refuses an unknown value with
// the accepted list (and shells complete the choices) while the libraries stay free of
// ArgumentParser.

extension EngineName: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension OutputType: ExpressibleByArgument {}
extension LatentSpace: ExpressibleByArgument {}
extension GraphicsMode: ExpressibleByArgument {}
extension GraphicsChoice: ExpressibleByArgument {}

extension ImageFormat: ExpressibleByArgument {
    /// `jpeg` is typed as often as `jpg`.
    public init?(argument: String) {
        self.init(rawValue: argument == "jpeg" ? ImageFormat.jpg.rawValue : argument)
    }
}

/// `--tile`: whether the full decoder splits the latent into tiles.
enum TileChoice: String, CaseIterable, ExpressibleByArgument {
    /// Tile only when the untiled decode would need more than a memory limit.
    case auto
    case on
    case off

    func mode(maxBytes: Int) -> TilingMode {
        switch self {
        case .auto: .auto(maxBytes: maxBytes)
        case .on: .on
        case .off: .off
        }
    }
}
