import Foundation
import Glibc
import ImageCodecs
import Synchronization
import Testing

@testable import LatentKit

/// Names, metadata, config and an endpoint's words and headers, all carrying escape sequences,
/// through every command that prints them: what reaches the terminal shows the sequences escaped and
/// holds no raw control character, in text and in JSON alike.
@Suite(.serialized) struct UntrustedTextTests {
    /// Retitles the window, clears the screen, colours through a C1 CSI, and reverses what follows.
    static let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{202E}"
    /// `hostile` as `TerminalSafe` shows it.
    static let shown = "\\x1B]0;pwned\\x07\\x1B[2J\\u{9B}31m\\u{202E}"

    /// Every character a terminal would act on, other than the line breaks the output is made of.
    static func rawControls(_ text: String) -> [String] {
        text.unicodeScalars.filter { TerminalSafe.needsEscape($0, newlines: true) }.map { String(format: "U+%04X", $0.value) }
    }

    static func expectClean(_ outcome: CLITests.Outcome, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(rawControls(outcome.stdout).isEmpty, "stdout: \(outcome.stdout.debugDescription)", sourceLocation: sourceLocation)
        #expect(rawControls(outcome.stderr).isEmpty, "stderr: \(outcome.stderr.debugDescription)", sourceLocation: sourceLocation)
    }

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-untrusted-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The sample latent under a hostile name, with hostile metadata (a value with a line break that
    /// would forge a `warning:` line if it were printed as it is).
    func hostileLatent(in root: URL) throws -> URL {
        let tensor = try LatentFile.read(contentsOf: OutputSafetyCLITests.sample).latent().tensor
        let url = root.appendingPathComponent("evil\(Self.hostile).safetensors")
        try LatentWriter.write(
            tensor, to: url, metadata: ["comment\(Self.hostile)": "ok\nwarning: forged \(Self.hostile)", "prompt": Self.hostile])
        return url
    }

    @Test func inspectShowsHostileNamesAndMetadataEscaped() throws {
        let latent = try hostileLatent(in: try scratch())
        let text = try CLITests.run(["inspect", latent.path])
        #expect(text.status == 0, "\(text.stderr)")
        Self.expectClean(text)
        #expect(text.stdout.contains("evil\(Self.shown).safetensors: safetensors"))
        #expect(text.stdout.contains("metadata prompt = \(Self.shown)"))
        #expect(text.stdout.contains("metadata comment\(Self.shown) = ok\\x0Awarning: forged \(Self.shown)"))
        #expect(!text.stdout.split(separator: "\n").contains { $0.hasPrefix("warning: forged") })

        // JSON keeps the exact text, escaped the JSON way.
        let json = try CLITests.run(["inspect", latent.path, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        Self.expectClean(json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["metadata"] as? [String: String])?["prompt"] == Self.hostile)
    }

    @Test func decodeAndGenerateShowHostileNamesEscaped() throws {
        let root = try scratch()
        let latent = try hostileLatent(in: root)
        let decode = try CLITests.run([
            "decode", latent.path, "--local", "--engine", "approx", "--out", root.appendingPathComponent("out").path,
        ])
        #expect(decode.status == 0, "\(decode.stderr)")
        Self.expectClean(decode)
        #expect(decode.stdout.contains("done    evil\(Self.shown)"))
        let generate = try CLITests.run([
            "generate", "--preset", "sd15", "--output", root.appendingPathComponent("g\(Self.hostile).safetensors").path,
        ])
        #expect(generate.status == 0, "\(generate.stderr)")
        Self.expectClean(generate)
        #expect(generate.stdout.contains("g\(Self.shown).safetensors"))
    }

    /// `decode --json` prints its lines through JobReporter's `printJSONLine`, whose JSONSerialization
    /// escapes C0 controls but leaves C1 (U+009B, CSI to xterm) and bidi overrides raw.
    @Test func decodeJSONLinesEscapeWhatJSONLeavesRaw() throws {
        let root = try scratch()
        let latent = try hostileLatent(in: root)
        let decode = try CLITests.run(
            ["decode", latent.path, "--local", "--engine", "approx", "--json", "--out", root.appendingPathComponent("out").path])
        #expect(decode.status == 0, "\(decode.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(decode.stdout.utf8)) as? [String: Any]
        #expect((object?["job"] as? String)?.hasPrefix("evil\u{1B}]0;pwned") == true)
        Self.expectClean(decode)
    }

    /// `show` names each picture in a caption line, and `decode --show` each result. Half blocks
    /// into a pipe draw with colour escapes (`ESC [ … m`) and CR LF of their own; those are the only
    /// controls allowed through, and with `--graphics none` there are none at all.
    @Test func showCaptionsAreEscaped() throws {
        let root = try scratch()
        let picture = root.appendingPathComponent("pic\(Self.hostile).png")
        try Data(try PNGCodec.encode(try ShowCommandTests.detailedImage(width: 16, height: 16))).write(to: picture)
        let latent = try hostileLatent(in: root)
        let runs = [
            ["show", picture.path, "--graphics", "none"],
            ["show", picture.path, latent.path, "--engine", "approx", "--graphics", "blocks", "--width", "8"],
            [
                "decode", latent.path, "--local", "--engine", "approx", "--show", "--graphics", "blocks", "--out",
                root.appendingPathComponent("out").path,
            ],
        ]
        for arguments in runs {
            let run = try CLITests.run(arguments)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            // The program's own drawing: colours and the CR LF that end picture lines.
            let drawn = run.stdout.replacing(#/\x1B\[[0-9;]*m/#, with: "").replacing("\r\n", with: "\n")
            Self.expectClean(CLITests.Outcome(status: run.status, stdout: drawn, stderr: run.stderr))
            #expect(run.stdout.contains("\(Self.shown)"), "\(arguments): no escaped name in \(run.stdout.debugDescription)")
        }
    }

    /// Preset names, ids and endpoints from config.toml, in `presets`, `generate` and the message
    /// for an unknown preset (which argument parsing prints).
    @Test func hostilePresetsFromConfigAreShownEscaped() throws {
        let root = try scratch()
        let config = root.appendingPathComponent("config.toml")
        // TOML's \u escapes put the raw characters into the parsed names.
        let toml = "\\u001B]0;pwned\\u0007\\u001B[2J\\u009B31m\\u202E"
        try """
        [presets."x\(toml)"]
        name = "Mine \(toml)"
        base = "sd15"
        endpoint = "http://127.0.0.1:9/\(toml)"
        """.write(to: config, atomically: true, encoding: .utf8)
        let presets = try CLITests.run(["presets", "--config", config.path])
        #expect(presets.status == 0, "\(presets.stderr)")
        Self.expectClean(presets)
        #expect(presets.stdout.contains("Mine \(Self.shown)"))
        let json = try CLITests.run(["presets", "--config", config.path, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        Self.expectClean(json)
        #expect(json.stdout.contains("\\u001b]0;pwned") || json.stdout.contains("\\u001B]0;pwned"))

        let generate = try CLITests.run([
            "generate", "--config", config.path, "--preset", "Mine \(Self.hostile)", "--output",
            root.appendingPathComponent("n.safetensors").path,
        ])
        #expect(generate.status == 0, "\(generate.stderr)")
        Self.expectClean(generate)
        #expect(generate.stdout.contains("Mine \(Self.shown) noise"))

        let unknown = try CLITests.run([
            "generate", "--config", config.path, "--preset", "nope", "--output", root.appendingPathComponent("u.safetensors").path,
        ])
        #expect(unknown.status != 0)
        Self.expectClean(unknown)
        #expect(unknown.stderr.contains("x\(Self.shown)"))
    }

    /// An endpoint whose error words, retry reasons and headers carry escape sequences.
    @Test(arguments: HostileAnswer.allCases)
    func anEndpointsWordsAndHeadersAreShownEscaped(_ answer: HostileAnswer) throws {
        let server = try HostileEndpoint(answer: answer.bytes)
        defer { server.stop() }
        let root = try scratch()
        for extra in [[], ["--json"]] {
            let decode = try CLITests.run(
                [
                    "decode", OutputSafetyCLITests.sample.path, "--endpoint", server.url, "--attempts", "2", "--out",
                    root.appendingPathComponent("out").path,
                ] + answer.arguments + extra)
            #expect(decode.status != 0)
            Self.expectClean(decode)
            #expect((decode.stdout + decode.stderr).contains("pwned"), "the endpoint's words were not shown at all")
        }
        #expect(server.requests >= 2)
    }
}

/// The workbench in a real terminal (tmux), given a hostile latent and an endpoint that answers
/// with hostile words: tmux interprets whatever reaches it, so a raw `OSC 0` would retitle the pane
/// and a raw `CSI 2 J` would wipe the layout.
@Suite(.serialized) struct UntrustedTextWorkbenchTests {
    @Test func theWorkbenchDrawsHostileNamesMetadataAndAnswersEscaped() throws {
        let tmux = WorkbenchTmuxTests()
        defer { tmux.stop() }
        let server = try HostileEndpoint(answer: HostileAnswer.jsonError.bytes)
        defer { server.stop() }
        let latent = try UntrustedTextTests().hostileLatent(in: try UntrustedTextTests().scratch())
        try tmux.start([latent.path, "--endpoint", server.url, "--decode", "--no-journal", "--graphics", "none"], columns: 160, rows: 40)
        let screen = try tmux.waitFor("the job to fail") { $0.contains("✗ failed") && $0.contains("HTTP 400") }
        #expect(screen.contains("Preview") && screen.contains("Jobs"), "the layout was wiped:\n\(screen)")
        #expect(screen.contains("\\x1B]0;pwned"), "no escaped name or words on the screen:\n\(screen)")
        let title = try tmux.tmux(["display", "-p", "-t", tmux.session, "#{pane_title}"])
        #expect(!title.contains("pwned"), "the pane was retitled to \(title)")
        #expect(server.requests >= 1)
    }
}

/// Answers an endpoint can give that carry escape sequences where a client quotes them.
enum HostileAnswer: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// A final 400 with the reference server's JSON error, its words full of escapes (after JSON decoding).
    case jsonError
    /// 503 with a plain-text body, retried: the reason appears in the retry lines too.
    case retriedTextError
    /// An HTML error page whose title carries the escapes.
    case htmlError
    /// 200 with a body that is no image, described by its hostile Content-Type header.
    case contentTypeHeader
    /// 200 to a tensor request, with a hostile `shape` header.
    case shapeHeader

    var testDescription: String { rawValue }

    /// Raw escapes in a header value and in bodies.
    private static let raw = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m\u{202E}"

    var bytes: [UInt8] {
        switch self {
        case .jsonError:
            Self.response(
                "400 Bad Request", ["Content-Type: application/json"],
                #"{"error": "\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202e no"}"#)
        case .retriedTextError:
            Self.response("503 Unavailable", ["Content-Type: text/plain", "Retry-After: 0"], "busy \(Self.raw)")
        case .htmlError:
            Self.response("502 Bad Gateway", ["Content-Type: text/html"], "<html><title>\(Self.raw) down</title></html>")
        case .contentTypeHeader:
            Self.response("200 OK", ["Content-Type: image/png\(Self.raw)"], "not an image at all")
        case .shapeHeader:
            Self.response("200 OK", ["Content-Type: application/octet-stream", "shape: [1,\(Self.raw)]", "dtype: float32"], "1234")
        }
    }

    var arguments: [String] {
        switch self {
        case .shapeHeader: ["--output-type", "pt"]
        case .jsonError, .retriedTextError, .htmlError, .contentTypeHeader: []
        }
    }

    static func response(_ status: String, _ headers: [String], _ body: String) -> [UInt8] {
        let head = (["HTTP/1.1 \(status)", "Content-Length: \(body.utf8.count)", "Connection: close"] + headers).joined(separator: "\r\n")
        return Array((head + "\r\n\r\n" + body).utf8)
    }
}

/// A loopback endpoint that reads each request whole and sends the same raw answer.
final class HostileEndpoint: Sendable {
    let port: Int
    private let listener: Int32
    private let served = Mutex(0)
    private let stopped = Mutex(false)

    init(answer: [UInt8]) throws {
        // Close-on-exec: the decode child must not inherit the listener.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(fd, nil, nil)
                if connection < 0 { return }
                Self.readRequest(connection)
                var offset = 0
                while offset < answer.count {
                    let sent = answer[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if sent <= 0 { break }
                    offset += sent
                }
                served.withLock { $0 += 1 }
                close(connection)
            }
        }
    }

    var url: String { "http://127.0.0.1:\(port)/" }
    var requests: Int { served.withLock { $0 } }

    /// Reads the head and as much body as it announces, so closing does not reset the connection
    /// under an answer the client has not read yet.
    private static func readRequest(_ connection: Int32) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var needed: Int?
        while needed.map({ received.count < $0 }) ?? true {
            let count = recv(connection, &buffer, buffer.count, 0)
            if count <= 0 { return }
            received += buffer[0..<count]
            if needed == nil, let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
                needed = end.upperBound + (length ?? 0)
            }
        }
    }

    func stop() {
        guard
            stopped.withLock({ stopped in
                defer { stopped = true }
                return !stopped
            })
        else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
