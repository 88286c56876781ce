import Foundation
import Testing

/// What a person reads when something is wrong: the path or config key and why, never Foundation's
/// error text.
@Suite struct ErrorMessageTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func fileSystemMistakesNameThePath() throws {
        let generate = try CLITests.run(["generate", "--preset", "sd15", "-o", "missing/dir/x.safetensors"])
        #expect(generate.status == 1)
        #expect(generate.stderr.contains("missing/dir does not exist: create it or choose another output path"), "\(generate.stderr)")
        let inspect = try CLITests.run(["inspect", "Samples"])
        #expect(inspect.status == 1 && inspect.stderr.contains("cannot read Samples: it is a folder, not a file"), "\(inspect.stderr)")
        let decode = try CLITests.run(["decode", "Samples", "--local", "--out", try Self.folder().path])
        #expect(decode.status == 1)
        #expect(decode.stdout.contains("failed  Samples: cannot read Samples: it is a folder, not a file"), "\(decode.stdout)")
        let file = try Self.folder().appendingPathComponent("taken")
        try Data([1]).write(to: file)
        let output = try CLITests.run(["decode", "Samples/sd15_512_seed13.safetensors", "--local", "--out", file.path])
        #expect(output.status == 1 && output.stdout.contains("\(file.path) is a file, not a folder"), "\(output.stdout)")
        let missing = try CLITests.run(["inspect", "no/such/file.safetensors"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read no/such/file.safetensors: it does not exist"), "\(missing.stderr)")
        for result in [generate, inspect, decode, output, missing] {
            #expect(!(result.stdout + result.stderr).contains("NSCocoaErrorDomain"))
        }
    }

    @Test func keyMistakesNameTheConfigFileAndTheEntry() throws {
        let config = try Self.folder().appendingPathComponent("config.toml")
        let cases: [(String, String)] = [
            ("[keys]\nfly = \"f\"\n", "unknown key 'fly' in [keys]; valid keys: help, quit"),
            ("[keys]\ndecode = \"hyper-x\"\n", "'decode' in [keys]: 'hyper-x' is not a key"),
            ("[keys]\nopen = \"x\"\ngenerate = \"x\"\n", "'open' in [keys]: 'x' is also given to generate where both apply"),
            ("[keys]\nquit = [\"q\", 1]\n", "'quit' in [keys] must be a key name or a list of them"),
            ("[keys]\nopen = \"g\"\n", "'open' in [keys]: 'g' was generate's only key; give generate a key of its own too"),
        ]
        for (toml, reason) in cases {
            try toml.write(to: config, atomically: true, encoding: .utf8)
            let doctor = try CLITests.run(["doctor", "--config", config.path])
            #expect(doctor.stdout.contains("error: \(config.path): \(reason)"), "\(doctor.stdout)")
            let workbench = try CLITests.run(["workbench", "--config", config.path, "--no-journal"])
            #expect(workbench.status == 1 && workbench.stderr.contains("\(config.path): \(reason)"), "\(workbench.stderr)")
        }
    }

    @Test func theSampleConfigPassesEveryCheck() throws {
        let doctor = try CLITests.run(["doctor", "--config", "Samples/config.toml"])
        #expect(doctor.stdout.contains("Samples/config.toml: ok, 6 presets"), "\(doctor.stdout)")
    }

    /// Keys for different panes may share a key: each pane has its own.
    @Test func theSameKeyInDifferentPanesIsNoClash() throws {
        let config = try Self.folder().appendingPathComponent("config.toml")
        try "[keys]\ndecode = \"z\"\ncancel = \"z\"\n".write(to: config, atomically: true, encoding: .utf8)
        let doctor = try CLITests.run(["doctor", "--config", config.path])
        #expect(doctor.stdout.contains("\(config.path): ok"), "\(doctor.stdout)")
    }
}
