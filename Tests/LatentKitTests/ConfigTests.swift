import Foundation
import Testing

@testable import LatentKit

@Suite struct ConfigTests {
    @Test func overridesBuiltinsAndAddsPresets() throws {
        let toml = """
            [presets.sd15]
            endpoints = ["http://127.0.0.1:8000/", "http://127.0.0.1:8001/"]
            image_format = "png"

            [presets.my-sdxl]
            name = "My SDXL finetune"
            base = "sdxl"
            endpoint = "https://example.invalid/decode"

            [presets.wan]
            name = "Wan 2.1"
            channels = 16
            scaling = 1
            temporal = 4
            output_type = "mp4"
            """
        let catalog = try PresetCatalog.parse(toml, path: "config.toml")
        #expect(catalog.ids == ["sd15", "sdxl", "flux", "hunyuanvideo", "my-sdxl", "wan"])
        let sd15 = try #require(catalog.preset(named: "sd15"))
        #expect(sd15.endpoints == ["http://127.0.0.1:8000/", "http://127.0.0.1:8001/"])
        #expect(sd15.imageFormat == .png && sd15.isBuiltin && sd15.scalingFactor == 0.18215)
        let mine = try #require(catalog.preset(named: "My SDXL finetune"))
        #expect(mine.id == "my-sdxl" && mine.scalingFactor == 0.13025 && !mine.isBuiltin)
        #expect(mine.endpoints == ["https://example.invalid/decode"])
        let wan = try #require(catalog.preset(named: "WAN"))
        #expect(
            wan.latentChannels == 16 && wan.scalingFactor == 1 && wan.temporalFactor == 4
                && wan.outputType == .mp4)
    }

    @Test func mistakesAreNamedWithFileAndKey() {
        func failure(_ toml: String) -> ConfigError? {
            do {
                _ = try PresetCatalog.parse(toml, path: "c.toml")
                return nil
            } catch {
                return error
            }
        }
        #expect(
            failure("[presets.x]\nchanels = 4\n")
                == .unknownKey(
                    path: "c.toml", preset: "x", key: "chanels",
                    valid: [
                        "name", "base", "channels", "scaling", "shift", "packed", "temporal", "spatial",
                        "model",
                        "endpoint", "endpoints", "output_type", "image_format", "resolution", "concurrency",
                        "encode_endpoint", "encode_endpoints",
                    ]))
        #expect(
            failure("[presets.x]\nchannels = \"four\"\n")
                == .wrongType(path: "c.toml", preset: "x", key: "channels", expected: "an integer"))
        #expect(
            failure("[presets.x]\nchannels = 4\n")
                == .missing(path: "c.toml", preset: "x", key: "scaling"))
        #expect(
            failure("[presets.x]\nbase = \"sd3\"\n")
                == .unknownBase(
                    path: "c.toml", preset: "x", base: "sd3", known: ["sd15", "sdxl", "flux", "hunyuanvideo"])
        )
        #expect(
            failure("[presets.sd15]\nendpoint = \"ftp://x\"\n")
                == .invalidValue(
                    path: "c.toml", preset: "sd15", key: "endpoints",
                    reason: "'ftp://x' is not an http(s) URL"))
        #expect(
            failure("[presets.sd15]\noutput_type = \"gif\"\n")?.description.contains(
                "pil, pt, pt-uint8, mp4") == true)
        guard case .syntax(let path, let line, _, _) = failure("[presets.x\nname = 1\n") else {
            Issue.record("a TOML syntax error must be reported with its position")
            return
        }
        #expect(path == "c.toml" && line == 1)
    }

    /// Settings mistakes that would otherwise be skipped, each named with the file, the key and why.
    @Test func settingsMistakesAreReportedNotDropped() {
        func failure(_ toml: String) -> ConfigError? {
            do {
                _ = try Settings.parse(toml, path: "c.toml")
                return nil
            } catch {
                return error
            }
        }
        let mixedList = failure("[keys]\nquit = [\"q\", 3]\n")
        #expect(mixedList == .wrongType(path: "c.toml", preset: "[keys]", key: "quit", expected: "a key name or a list of them"))
        #expect(mixedList?.description == "c.toml: 'quit' in [keys] must be a key name or a list of them")
        let emptyList = failure("[keys]\nquit = []\n")
        #expect(emptyList?.description == "c.toml: 'quit' in [keys]: names no key; give one, like \"x\", or a list")
        let topLevel = failure("thme = \"nord\"\n")
        #expect(
            topLevel
                == .unknownKey(
                    path: "c.toml", preset: "(top level)", key: "thme", valid: ["theme", "graphics", "output", "keys", "presets"]))
        #expect(topLevel?.description == "c.toml: unknown key 'thme' in the top level; valid keys: theme, graphics, output, keys, presets")
        #expect(
            failure("[output]\ndirectroy = \"/tmp\"\n")?.description
                == "c.toml: unknown key 'directroy' in [output]; valid keys: directory, pattern")
        #expect(failure("theme = \"nord\"\n[presets.x]\nbase = \"sd15\"\n") == nil)
    }

    @Test func anUnreadableConfigIsAnErrorNotAnEmptyOne() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        #expect(throws: ConfigError.file(.isDirectory(path: folder.path))) { try Settings.load(configFile: folder) }
        #expect(throws: ConfigError.file(.isDirectory(path: folder.path))) { try PresetCatalog.load(configFile: folder) }
    }

    @Test func theTUISettingsAreSavedAndReadBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-config-\(UUID().uuidString)")
        let url = directory.appendingPathComponent("config.toml")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "[presets.mine]\nbase = \"sdxl\"\nname = \"Mine\"\n".write(to: url, atomically: true, encoding: .utf8)
        var sd15 = Preset.sd15
        sd15.endpoints = ["http://127.0.0.1:9000/"]
        sd15.outputType = .pt
        sd15.imageFormat = .png
        sd15.concurrency = 5
        try PresetCatalog.saveSettings(of: sd15, to: url)
        let catalog = try PresetCatalog.load(configFile: url)
        let saved = try #require(catalog.preset(named: "sd15"))
        #expect(
            saved.endpoints == ["http://127.0.0.1:9000/"] && saved.outputType == .pt && saved.imageFormat == .png && saved.concurrency == 5)
        #expect(catalog.preset(named: "Mine")?.scalingFactor == 0.13025)
    }

    @Test func configLocationFollowsXDG() {
        #expect(
            PresetCatalog.configFile(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]).path
                == "/x/latentty/config.toml")
        #expect(
            PresetCatalog.configFile(environment: ["HOME": "/h"]).path
                == "/h/.config/latentty/config.toml")
    }

    @Test func aMissingConfigFileMeansBuiltinsOnly() throws {
        let catalog = try PresetCatalog.load(
            configFile: URL(fileURLWithPath: "/nonexistent/latentty/config.toml"))
        #expect(catalog == PresetCatalog())
    }
}
