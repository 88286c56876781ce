import Foundation
import RemoteDecode
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import Workbench

@Suite struct KeyMapTests {
    @Test func paneKeysWinOverGlobalOnes() {
        let map = KeyMap.default
        #expect(map.command(for: .character("d"), in: .sources) == .decode)
        #expect(map.command(for: .character("d"), in: .preview) == .decode)
        #expect(map.command(for: .character("c"), in: .jobs) == .cancel)
        #expect(map.command(for: .character("c"), in: .sources) == nil)
        #expect(map.command(for: .character("q"), in: .jobs) == .quit)
        #expect(map.command(for: .character(" "), in: .preview) == .playPause)
    }

    @Test func remappingReplacesTheOldKey() throws {
        let map = try KeyMap.default.remapped(["decode": ["x", "ctrl-d"], "help": ["f1"]])
        #expect(map.command(for: .character("x"), in: .sources) == .decode)
        #expect(map.command(for: .control("d"), in: .sources) == .decode)
        #expect(map.command(for: .character("d"), in: .sources) == nil)
        #expect(map.command(for: .function(1), in: .jobs) == .help)
        #expect(map.command(for: .character("?"), in: .jobs) == nil)
        #expect(throws: KeyMap.RemapError.unknownCommand("fly")) { try KeyMap.default.remapped(["fly": ["f"]]) }
        #expect(throws: KeyMap.RemapError.unknownKey("hyper-x")) { try KeyMap.default.remapped(["help": ["hyper-x"]]) }
    }

    @Test func keyNames() {
        #expect(Key(name: "shift-tab") == .backTab && Key(name: "space") == .character(" ") && Key(name: "F5") == .function(5))
        #expect(Key(name: "ctrl-x") == .control("x") && Key(name: "nonsense") == nil)
        #expect(Key.control("c").label == "^C")
    }
}

@Suite struct ThemeTests {
    static let themes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Themes")

    @Test func everyShippedThemeParsesAndSetsEveryRole() throws {
        let names = Theme.available(in: [Self.themes])
        #expect(Set(["dark", "light", "high-contrast", "nord", "gruvbox"]).isSubset(of: Set(names)))
        for name in names {
            let theme = try Theme.load(named: name, searchPaths: [Self.themes])
            let missing = Theme.Role.allCases.filter { theme.colors[$0] == nil && $0 != .mainBackground }
            #expect(missing.isEmpty, "\(name) lacks \(missing)")
        }
    }

    @Test func btopSyntaxAndErrors() throws {
        let theme = try Theme.parse(
            "# c\ntheme[main_fg]=\"#FF8000\"\nmain_bg = \"\"\nunknown_key = \"#123456\"\nok_fg = '#0f0'\n", name: "t")
        #expect(theme.colors[.mainForeground] == Theme.Color(r: 255, g: 128, b: 0))
        #expect(theme.colors[.mainBackground] == nil && theme.colors[.ok] == Theme.Color(r: 0, g: 255, b: 0))
        #expect(throws: Theme.ParseError.badColor(path: "theme", line: 1, value: "red")) { try Theme.parse("main_fg = \"red\"", name: "t") }
        #expect(throws: Theme.ParseError.badLine(path: "theme", line: 2, text: "what")) { try Theme.parse("\nwhat", name: "t") }
        #expect(throws: Theme.ParseError.self) { try Theme.load(named: "missing", searchPaths: [Self.themes]) }
    }
}

@Suite struct SettingsTests {
    @Test func outputKeysAndPattern() throws {
        let settings = try Settings.parse(
            "theme = \"nord\"\n[output]\ndirectory = \"/tmp/out\"\npattern = \"{preset}_{name}_{seed}_{index}\"\n[keys]\ndecode = \"x\"\nquit = [\"q\", \"ctrl-q\"]\n",
            path: "c.toml")
        #expect(settings.theme == "nord" && settings.outputDirectory == "/tmp/out")
        #expect(settings.keys == ["decode": ["x"], "quit": ["q", "ctrl-q"]])
        #expect(settings.fileName(name: "cat/dog", preset: "sd15", seed: 13, index: 2) == "sd15_cat_dog_13_2")
        #expect(throws: ConfigError.wrongType(path: "c.toml", preset: "[keys]", key: "decode", expected: "a key name or a list of them")) {
            try Settings.parse("[keys]\ndecode = 3\n", path: "c.toml")
        }
    }
}

@Suite struct TextTests {
    @Test func progressLineShowsBytesTimeAndETA() {
        var job = JobStatus(
            id: UUID(), name: "a", backend: .remote(endpoints: ["http://127.0.0.1:1/"]), state: .uploading, queuedAt: Date())
        let now = Date()
        job.startedAt = now.addingTimeInterval(-2)
        job.progress = TransferProgress(uploaded: 512 << 10, uploadTotal: 1 << 20, downloaded: 0, downloadTotal: 0)
        let line = JobText.progressLine(job, width: 200, now: now)
        #expect(line == "[███·········]   25%  ↑512.0 KB ↓0 B  2.0 s  ETA 6 s")
        job.retries = 2
        job.state = .failed
        job.failure = .endpoint("HTTP 503", retryable: true)
        #expect(JobText.progressLine(job, width: 200, now: now) == "HTTP 503")
    }
}

@Suite struct JournalTests {
    @Test func jobsSurviveARestart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-journal-\(UUID().uuidString)")
        let journal = JobJournal(directory: directory)
        var generator = TorchGenerator(seed: 2)
        let latent = try generator.randn(shape: [1, 4, 8, 8], dtype: .float16)
        let pending = DecodeJob(
            name: "pending", source: JobSource(seed: 2), latent: latent, preset: .sd15, backend: .local(.approx), options: DecodeOptions())
        let finished = DecodeJob(
            name: "finished", source: JobSource(path: "/x.pt"), latent: latent, preset: .flux,
            backend: .remote(endpoints: Preset.flux.endpoints),
            options: DecodeOptions(outputType: .pt))
        try journal.record(pending)
        try journal.record(finished)
        var done = JobStatus(job: finished)
        done.state = .done
        done.outputs = ["/out/finished.safetensors"]
        done.endpoint = "http://127.0.0.1:8000/"
        try journal.update(done, job: finished)
        // A corrupt record is skipped, not fatal.
        try Data("{".utf8).write(to: directory.appendingPathComponent("\(UUID().uuidString).json"))
        let (entries, unusable) = journal.load()
        #expect(entries.map(\.job.name) == ["pending", "finished"] && unusable == 1)
        let restoredPending = try #require(entries.first { $0.job.name == "pending" })
        #expect(restoredPending.job.latent == latent && restoredPending.status.state == .queued && restoredPending.job.source.seed == 2)
        let restoredDone = try #require(entries.first { $0.job.name == "finished" })
        #expect(restoredDone.status.state == .done && restoredDone.status.outputs == ["/out/finished.safetensors"])
        #expect(restoredDone.job.preset == .flux && restoredDone.job.options.outputType == .pt)
        journal.remove([finished.id])
        #expect(journal.load().entries.map(\.job.name) == ["pending"])
    }
}
