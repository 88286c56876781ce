import Foundation

/// Folders shipped with latentty (`Themes/`, `Samples/`), found from the executable: walking up from
/// a build folder to the checkout, or an installed `share/latentty/` beside `bin/`.
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
}
