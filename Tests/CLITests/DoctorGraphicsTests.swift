import Foundation
import Testing

/// `latentty doctor` says how pictures will be drawn and why, each signal with its meaning, and the
/// choice it was given (flag, else config.toml) decides the protocol.
@Suite struct DoctorGraphicsTests {
    @Test func theGraphicsSectionNamesTheChoiceAndEverySignal() throws {
        let json = try CLITests.run(["doctor", "--json", "--graphics", "sixel", "--config", "Samples/config.toml"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let graphics = try #require(object?["graphics"] as? [String: Any])
        #expect(graphics["protocol"] as? String == "sixel" && graphics["choice"] as? String == "sixel")
        let signals = try #require(graphics["signals"] as? [[String: String]])
        #expect(signals.last?["name"] == "decision" && signals.allSatisfy { !($0["meaning"] ?? "").isEmpty })

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-doctor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("config.toml")
        try Data("graphics = \"kitty\"\n".utf8).write(to: config)
        let text = try CLITests.run(["doctor", "--config", config.path])
        #expect(text.stdout.contains("graphics      kitty (choice: kitty;"), "\(text.stdout)")
        #expect(text.stdout.contains("decision"), "each signal on its own line")
    }
}
