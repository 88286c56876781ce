import Foundation
import Glibc
import ImageCodecs
import Testing
import Workbench

@testable import LatentKit

/// `decode` and `inspect` as a shell runs them, where results could collide, a kill could leave
/// half files, and names from files could drive the terminal.
@Suite(.serialized) struct OutputSafetyCLITests {
    static let sample = CLITests.repository.appendingPathComponent("Samples/sd15_512_seed13.safetensors")

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-safety-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Copies of the sample latent at `relative` paths under `root`.
    func latents(_ relative: [String], in root: URL) throws -> [String] {
        try relative.map { path in
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Self.sample, to: url)
            return url.path
        }
    }

    @Test func fourSameNamedInputsGiveFourResultsEachPointingAtItsSource() throws {
        let root = try scratch()
        let inputs = try latents(["a/x.safetensors", "b/x.safetensors", "c/x.safetensors", "d/x.safetensors"], in: root)
        let out = root.appendingPathComponent("out")
        let result = try CLITests.run(
            ["decode"] + inputs + ["--local", "--engine", "approx", "--concurrency", "4", "--format", "png", "--out", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        let sidecars = names.filter { $0.hasSuffix(".json") }
        #expect(sidecars.count == 4 && names.filter { $0.hasSuffix(".png") }.count == 4)
        var sources: [String] = []
        for name in sidecars {
            let sidecar = try JSONDecoder().decode(OutputWriter.Sidecar.self, from: Data(contentsOf: out.appendingPathComponent(name)))
            #expect(sidecar.outputs == [String(name.dropLast(5)) + ".png"])
            sources.append(sidecar.source)
        }
        #expect(Set(sources) == Set(inputs))
    }

    /// `decode` killed at random moments, again and again, into one folder and one journal: no file
    /// under a final name is ever partial, the next run leaves no temporary file, and the journal loads.
    @Test func killedAtRandomMomentsLeavesNoHalfFilesAndAJournalThatLoads() throws {
        let root = try scratch()
        let inputs = try latents((0..<8).map { "in/l\($0).safetensors" }, in: root)
        let out = root.appendingPathComponent("out")
        let journal = root.appendingPathComponent("journal")
        let arguments =
            ["decode"] + inputs + [
                "--local", "--engine", "approx", "--output-type", "pt", "--format", "png", "--concurrency", "4", "--out", out.path,
                "--journal", journal.path,
            ]
        let started = Date()
        #expect(try CLITests.run(arguments).status == 0)
        let fullRun = Date().timeIntervalSince(started)
        // A fixed seed, so a failing round can be replayed.
        var random = SplitMix(seed: 20_261_129)
        for _ in 0..<20 {
            let process = Process()
            process.executableURL = CLITests.binary
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The moment of the kill, not a synchronisation: anywhere after start-up, where the writes are.
            usleep(useconds_t((0.3 + 0.8 * random.unit()) * fullRun * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try expectWholeFiles(in: out)
        }
        #expect(try CLITests.run(arguments).status == 0)
        try expectWholeFiles(in: out)
        for folder in [out, journal] {
            let hidden = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
            #expect(hidden.isEmpty, "left in \(folder.lastPathComponent): \(hidden)")
        }
        let loaded = JobJournal(directory: journal).load()
        #expect(loaded.unusable == 0)
        #expect(loaded.entries.count >= 16)
    }

    func expectWholeFiles(in folder: URL) throws {
        guard FileManager.default.fileExists(atPath: folder.path) else { return }
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where !name.hasPrefix(".") {
            let url = folder.appendingPathComponent(name)
            let bytes = Array(try Data(contentsOf: url))
            switch url.pathExtension {
            case "png": #expect(throws: Never.self, "\(name)") { _ = try PNGCodec.decode(bytes) }
            case "safetensors": #expect(throws: Never.self, "\(name)") { _ = try LatentFile.read(contentsOf: url).latent() }
            case "json":
                #expect(throws: Never.self, "\(name)") { _ = try JSONDecoder().decode(OutputWriter.Sidecar.self, from: Data(bytes)) }
            default: Issue.record("unexpected file \(name)")
            }
        }
    }

    @Test func namesFromFilesCannotDriveTheTerminal() throws {
        let root = try scratch()
        let evil = try latents(["evil\u{1B}]0;owned\u{07}\u{9B}2J.safetensors"], in: root)[0]
        let inspect = try CLITests.run(["inspect", evil])
        #expect(inspect.status == 0)
        #expect(inspect.stdout.contains("evil\\x1B]0;owned\\x07\\u{9B}2J.safetensors"))
        let decode = try CLITests.run(["decode", evil, "--local", "--engine", "approx", "--out", root.appendingPathComponent("out").path])
        #expect(decode.status == 0)
        #expect(decode.stdout.contains("done    evil\\x1B]0;owned\\x07\\u{9B}2J"))
        for text in [inspect.stdout, inspect.stderr, decode.stdout, decode.stderr] {
            #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) })
        }
    }

    /// With `--json`, a program reading stderr too gets JSON lines only, retries included.
    @Test func jsonModeWritesNoProseToStderr() throws {
        let silent = try SilentListener()
        let result = try CLITests.run([
            "decode", Self.sample.path, "--endpoint", "http://127.0.0.1:\(silent.port)/", "--timeout", "0.3", "--attempts", "2", "--json",
            "--out", try scratch().path,
        ])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["state"] as? String == "retrying", "\(line)")
        }
    }
}

/// A loopback port that accepts connections (the kernel does, into the backlog) and never answers.
final class SilentListener {
    let port: Int
    private let socketFD: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 8) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        socketFD = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(socketFD) }
}

/// A small seeded generator (SplitMix64) for reproducible random moments.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A number in [0, 1).
    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}

/// `decode` with three `serve` processes as its endpoints, one killed once it has served a request:
/// every job still finishes, each exactly once, and the jobs were spread over the endpoints.
@Suite(.serialized) struct EndpointPoolCLITests {
    @Test func jobsSpreadOverThreeServesAndAllFinishWhenOneIsKilled() throws {
        let serves = try (0..<3).map { _ in try ServeProcess() }
        defer { for serve in serves { serve.stop() } }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("latentty-pool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("in"), withIntermediateDirectories: true)
        let inputs = try (0..<24).map { index in
            let url = root.appendingPathComponent("in/l\(index).safetensors")
            try FileManager.default.copyItem(at: OutputSafetyCLITests.sample, to: url)
            return url.path
        }
        let out = root.appendingPathComponent("out")
        let decode = Process()
        decode.executableURL = CLITests.binary
        decode.arguments =
            ["decode"] + inputs + serves.flatMap { ["--endpoint", $0.url] } + [
                "--concurrency", "3", "--attempts", "2", "--format", "png", "--json", "--out", out.path,
            ]
        let stdout = Pipe()
        decode.standardOutput = stdout
        decode.standardError = FileHandle.nullDevice
        try decode.run()
        let reader = Thread.detachedRead(stdout)
        // Killed once it has answered, so it dies while the run goes on.
        #expect(serves[1].waitForFirstRequest(), "the second serve logged no request within 60 s")
        serves[1].kill()
        decode.waitUntilExit()
        let lines = reader.wait().split(separator: "\n")
        #expect(decode.terminationStatus == 0)
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 24 && objects.allSatisfy { $0["state"] as? String == "done" })
        #expect(Set(objects.compactMap { $0["endpoint"] as? String }).count >= 2)
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(names.filter { $0.hasSuffix(".png") }.count == 24 && names.filter { $0.hasSuffix(".json") }.count == 24)
    }
}

/// `latentty serve --port 0` in its own process, which a test can kill.
final class ServeProcess: @unchecked Sendable {
    // `url` is set once in init; the process and pipe are only touched by the test's thread.
    let url: String
    private let process = Process()
    /// Its stdout and stderr both: the listening line and the access log, wherever either goes.
    private let output = Pipe()
    private let served = DispatchSemaphore(value: 0)

    init() throws {
        process.executableURL = CLITests.binary
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--engine", "approx"]
        process.standardError = output
        process.standardOutput = output
        try process.run()
        var seen = ""
        while !seen.contains("/ (engine") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw POSIXError(.ECONNREFUSED) }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = seen.range(of: #"http://127\.0\.0\.1:\d+/"#, options: .regularExpression) else { throw POSIXError(.EINVAL) }
        url = String(seen[range])
        let handle = output.fileHandleForReading
        let served = self.served
        // Anything written after the listening line is an access-log line: a request was served.
        Thread.detachNewThread {
            if !handle.availableData.isEmpty { served.signal() }
            while !handle.availableData.isEmpty {}
        }
    }

    /// False if no request was logged within 60 s.
    func waitForFirstRequest() -> Bool { served.wait(timeout: .now() + 60) == .success }

    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
