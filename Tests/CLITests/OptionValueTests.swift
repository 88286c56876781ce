import Foundation
import Testing

/// Option values are checked by the parser: a wrong one is refused (exit 64) with the accepted list.
@Suite struct OptionValueTests {
    @Test func unknownValuesAreRefusedWithTheChoices() throws {
        let cases: [([String], String)] = [
            (["bench", "local", "--tile", "banana"], "Please provide one of 'auto', 'on' or 'off'."),
            (["bench", "local", "--winograd", "maybe"], "Please provide one of 'auto', 'off' or 'on'."),
            (["decode", "x.safetensors", "--local", "--engine", "turbo"], "Please provide one of 'approx', 'full' or 'tiny'."),
            (["decode", "x.safetensors", "--local", "--precision", "fp8"], "Please provide one of 'f32' and 'bf16'."),
            (["decode", "x.safetensors", "--local", "--output-type", "gif"], "Please provide one of 'pil', 'pt', 'pt-uint8' or 'mp4'."),
            (["decode", "x.safetensors", "--local", "--format", "webp"], "Please provide one of 'jpg' and 'png'."),
            (["decode", "x.safetensors", "--local", "--space", "pixel"], "Please provide one of 'diffusion' and 'vae'."),
            (["decode", "x.safetensors", "--local", "--tile", "sometimes"], "Please provide one of 'auto', 'on' or 'off'."),
            (["decode", "x.safetensors", "--local", "--max-memory", "lots"], "The value 'lots' is invalid for '--max-memory"),
            (["workbench", "--graphics", "kittie"], "- auto\n  - kitty\n  - iterm2\n  - sixel\n  - blocks\n  - none"),
            (["show", "a.png", "--graphics", "ascii"], "- auto\n  - kitty\n  - iterm2\n  - sixel\n  - blocks\n  - none"),
            (["serve", "--tile", "banana"], "Please provide one of 'auto', 'on' or 'off'."),
        ]
        for (arguments, message) in cases {
            let result = try CLITests.run(arguments)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test func backendOptionsAreCheckedInOnePlaceForDecodeAndWorkbench() throws {
        for command in ["decode", "workbench"] {
            let both = try CLITests.run([command, "x.safetensors", "--local", "--endpoint", "http://127.0.0.1:8000/"])
            #expect(both.status == 64 && both.stderr.contains("--local and --endpoint exclude each other"), "\(command): \(both.stderr)")
            let notURL = try CLITests.run([command, "x.safetensors", "--endpoint", "127.0.0.1:8000"])
            #expect(notURL.status == 64 && notURL.stderr.contains("is not an http(s) URL"), "\(command): \(notURL.stderr)")
        }
    }

    @Test func serveRefusesNumbersOutOfRangeWithTheRange() throws {
        let cases: [([String], String)] = [
            (["--port", "70000"], "port 70000 is out of range: use 0…65535"),
            (["--port=-1"], "port -1 is out of range: use 0…65535"),
            (["--workers", "0"], "0 workers cannot decode anything: use 1 or more"),
            (["--workers", "4", "--queue", "2"], "a queue of 2 cannot keep 4 workers busy: make it at least 4"),
            (["--max-body-mb", "0"], "a request body limit of 0 bytes refuses every request"),
            (["--max-body-mb=-3"], "refuses every request"),
        ]
        for (arguments, message) in cases {
            let result = try CLITests.run(["serve", "--engine", "approx"] + arguments)
            #expect(result.status == 64, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
