import Foundation

/// Folders shipped with latentty (`Samples/`), found from the running executable: beside it, in
/// `../share/latentty/` (an installed `bin/latentty`), or up from a build folder to the checkout.
public enum ShippedFolder {
    public static func find(_ name: String, executable: URL) -> URL? {
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<5 {
            for candidate in [directory.appendingPathComponent(name), directory.appendingPathComponent("share/latentty/" + name)] {
                if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// The running binary, wherever it was started from. `argv[0]` is only a name when the shell
    /// found latentty on `PATH`, which would make every shipped folder look missing.
    public static func currentExecutable() -> URL {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    }
}
