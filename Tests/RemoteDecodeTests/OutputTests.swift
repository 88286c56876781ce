import Foundation
import ImageCodecs
import Testing
import Wire

@testable import LatentKit
@testable import Workbench

/// The output folder: results never share names, a failed result leaves nothing, and what a killed
/// writer left is cleaned up.
@Suite struct OutputTests {
    func job(_ name: String, from path: String, output: OutputType = .pil) throws -> DecodeJob {
        DecodeJob(
            name: name, source: JobSource(path: path), latent: try seededLatent([1, 4, 2, 2]), preset: .sd15, backend: .local(.approx),
            options: DecodeOptions(outputType: output, imageFormat: .png))
    }

    func pixels() throws -> DecodeResult {
        DecodeResult(payload: .tensor(try Tensor(values: [Float](repeating: 0.25, count: 3 * 16 * 16), shape: [1, 3, 16, 16])))
    }

    func names(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    /// Many jobs of the same name, written at once from many threads: each gets its own stem, and
    /// each sidecar names its own source.
    @Test func sameNamesWrittenAtOnceGiveDistinctResults() throws {
        let directory = try temporaryDirectory()
        let writer = OutputWriter(directory: directory)
        let jobs = try (0..<16).map { try job("x", from: "/folder\($0)/x.safetensors") }
        let result = try pixels()
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            _ = try? writer.write(result, for: jobs[index])
        }
        let sidecars = try names(in: directory).filter { $0.hasSuffix(".json") }
        #expect(sidecars.count == 16)
        #expect(try names(in: directory).filter { $0.hasSuffix(".png") }.count == 16)
        var sources = Set<String>()
        for name in sidecars {
            let sidecar = try JSONDecoder().decode(
                OutputWriter.Sidecar.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
            #expect(sidecar.outputs == [String(name.dropLast(5)) + ".png"])
            sources.insert(sidecar.source)
        }
        #expect(sources.count == 16)
        #expect(try names(in: directory).allSatisfy { !$0.hasPrefix(".") })
    }

    /// A `pt` answer whose tensor cannot become images: no `.safetensors` (nor anything else) stays.
    @Test func aResultThatCannotBeConvertedLeavesNoFiles() throws {
        let directory = try temporaryDirectory()
        let notImages = DecodeResult(payload: .tensor(try Tensor(values: [Float](repeating: 0, count: 4 * 4), shape: [1, 4, 2, 2])))
        #expect(throws: (any Error).self) {
            try OutputWriter(directory: directory).write(notImages, for: try job("x", from: "/x", output: .pt))
        }
        #expect(try names(in: directory).isEmpty)
    }

    @Test func leftoversOfDeadWritersAreRemovedAndLiveOnesKept() throws {
        let directory = try temporaryDirectory()
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        let live = ProcessInfo.processInfo.processIdentifier
        try Data([1, 2, 3]).write(to: directory.appendingPathComponent(".latentty-tmp-\(dead)-1234"))
        try Data("\(dead)".utf8).write(to: directory.appendingPathComponent(".latentty-tmp-stem-x"))
        try Data([1]).write(to: directory.appendingPathComponent(".latentty-tmp-\(live)-5678"))
        let files = try OutputWriter(directory: directory).write(try pixels(), for: try job("x", from: "/x"))
        #expect(files.map(\.lastPathComponent) == ["x.png", "x.json"])
        #expect(try names(in: directory) == [".latentty-tmp-\(live)-5678", "x.json", "x.png"])
    }

    @Test func stemsAreSafeFileNames() {
        #expect(OutputWriter.safeStem("a/b") == "a_b")
        #expect(OutputWriter.safeStem(".latentty-tmp-1-x") == "_.latentty-tmp-1-x")
        #expect(OutputWriter.safeStem("") == "_")
        #expect(OutputWriter.safeStem(String(repeating: "é", count: 300)).utf8.count == 200)
    }
}
