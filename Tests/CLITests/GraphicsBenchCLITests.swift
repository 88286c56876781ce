import Foundation
import Testing

/// `latentty bench graphics` without a terminal: the byte counts it reports are the contract of
/// each protocol — kitty sends a picture's pixels once, however often it is placed or played.
@Suite struct GraphicsBenchCLITests {
    struct Row: Decodable {
        let `protocol`: String
        let size: Int
        let first_bytes: Int
        let replace_bytes: Int
        let video_frames: Int?
        let build: String
    }

    @Test func kittyPlacesAndReplaysWithoutResendingPixels() throws {
        let result = try CLITests.run(["bench", "graphics", "--size", "96", "--frames", "5", "--repeats", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
        // Every protocol, a still and a video each.
        #expect(rows.count == 12)
        func row(_ name: String, video: Bool) throws -> Row {
            try #require(rows.first { $0.protocol == name && ($0.video_frames != nil) == video })
        }
        for name in ["kitty", "kitty-placeholders"] {
            let still = try row(name, video: false)
            // 96² RGB is 27 KB; placing it again is one short command (kitty) or the placeholder text.
            #expect(still.first_bytes > 20_000 && still.replace_bytes < still.first_bytes / 10, "\(name): \(still)")
            let video = try row(name, video: true)
            #expect(video.video_frames == 5)
            #expect(video.replace_bytes < video.first_bytes / 10, "\(name) replays re-sent frames: \(video)")
        }
        // The others carry their pixels on every draw.
        for name in ["iterm2", "sixel", "blocks-truecolor", "blocks-256"] {
            let video = try row(name, video: true)
            #expect(video.replace_bytes >= video.first_bytes * 9 / 10, "\(name): \(video)")
        }
        #expect(rows.allSatisfy { $0.build == "debug" || $0.build == "release" })
    }

    /// Run in a session of its own (`setsid --wait`), so there is no controlling terminal even when
    /// the tests run in one: the bench must say so instead of drawing somewhere.
    @Test func timingInATerminalNeedsOne() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = [
            "--wait", CLITests.binary.path, "bench", "graphics", "--size", "16", "--frames", "2", "--repeats", "1", "--terminal",
        ]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(stderr.contains("--terminal needs a controlling terminal"), "\(stderr)")
    }
}
