import Foundation
import Testing

@testable import LatenttyTUI

/// Shipped themes and samples are found from an installed binary, not only from the checkout.
@Suite struct ShippedResourceTests {
    static let themes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Themes")

    @Test func embeddedThemesMatchTheFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.themes.path).filter { $0.hasSuffix(".theme") }
        #expect(Set(files.map { String($0.dropLast(6)) }) == Set(BuiltinThemes.files.keys))
        for file in files {
            let text = try String(contentsOf: Self.themes.appendingPathComponent(file), encoding: .utf8)
            let withoutFinalNewline = text.hasSuffix("\n") ? String(text.dropLast()) : text
            #expect(BuiltinThemes.files[String(file.dropLast(6))] == withoutFinalNewline, "\(file) differs from its embedded copy")
        }
    }

    @Test func builtInThemesLoadWithNoThemeFolderAndUserThemesOverrideThem() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-nothemes-\(UUID().uuidString)")
        let dark = try Theme.load(named: "dark", searchPaths: [empty])
        #expect(dark.colors[.mainForeground] == Theme.Color(r: 0xd0, g: 0xd0, b: 0xd0))
        #expect(Set(Theme.available(in: [empty])) == Set(BuiltinThemes.files.keys))
        let user = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-themes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: user, withIntermediateDirectories: true)
        try "main_fg = \"#010203\"\n".write(to: user.appendingPathComponent("nord.theme"), atomically: true, encoding: .utf8)
        #expect(try Theme.load(named: "nord", searchPaths: [user]).colors[.mainForeground] == Theme.Color(r: 1, g: 2, b: 3))
        #expect(throws: Theme.ParseError.self) { try Theme.load(named: "missing", searchPaths: [user]) }
    }

    @Test func samplesAreFoundBesideAnInstalledBinaryAndInShare() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-prefix-\(UUID().uuidString)")
        let binary = prefix.appendingPathComponent("bin/latentty")
        try FileManager.default.createDirectory(
            at: prefix.appendingPathComponent("share/latentty/Samples"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: binary.deletingLastPathComponent(), withIntermediateDirectories: true)
        #expect(ShippedFolder.find("Samples", executable: binary)?.path == prefix.appendingPathComponent("share/latentty/Samples").path)
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("bin/Samples"), withIntermediateDirectories: true)
        #expect(ShippedFolder.find("Samples", executable: binary)?.path == prefix.appendingPathComponent("bin/Samples").path)
    }

    @Test func theRunningExecutableIsFoundByItsRealPath() {
        let executable = ShippedFolder.currentExecutable()
        #expect(executable.path.hasPrefix("/"))
        #expect(FileManager.default.isExecutableFile(atPath: executable.path))
    }
}
