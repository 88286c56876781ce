import Foundation
import Testing

/// `latentty bench local --model taesd`: TAESD with random weights decodes at the asked size, and
/// the JSON says which model it timed and how long making the engine took.
@Suite struct LocalBenchCLITests {
    struct Row: Decodable {
        let model: String
        let size: Int
        let load_seconds: Double
        let first_seconds: Double
        let seconds: Double
    }

    @Test func timesTAESDAndItsLoad() throws {
        let result = try CLITests.run(["bench", "local", "--model", "taesd", "--size", "64", "--repeats", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let row = try JSONDecoder().decode(Row.self, from: Data(result.stdout.utf8))
        #expect(row.model == "taesd" && row.size == 64)
        #expect(row.load_seconds > 0 && row.first_seconds > 0 && row.seconds > 0)
    }

    struct EncoderRow: Decodable {
        let model: String
        let image_shape: [Int]
        let latent_shape: [Int]
        let seconds: Double
        let peak_rss_mb: Int
    }

    /// An encoder bench times one image into its latent (TAESD's: the full SD v1 encoder's random
    /// weights take seconds in a debug build); --compare is the decoders' and refused.
    @Test func timesTheTAESDEncoder() throws {
        let result = try CLITests.run(["bench", "local", "--model", "taesd-encoder", "--size", "64", "--repeats", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let row = try JSONDecoder().decode(EncoderRow.self, from: Data(result.stdout.utf8))
        #expect(row.model == "taesd-encoder" && row.image_shape == [1, 3, 64, 64] && row.latent_shape == [1, 4, 8, 8])
        #expect(row.seconds > 0 && row.peak_rss_mb > 0)
        let compared = try CLITests.run(["bench", "local", "--model", "taesd-encoder", "--size", "64", "--compare"])
        #expect(compared.status != 0 && compared.stderr.contains("--compare"))
    }

    struct VideoRow: Decodable {
        let model: String
        let frames: Int
        let form: String
        let seconds: Double
        let first_frame_seconds: Double
    }

    /// TAEHV at its real widths on a small clip: the first frame reaches the sink before the
    /// decode ends, and the form that ran is named.
    @Test(arguments: ["streaming", "parallel"])
    func timesTAEHVAndItsFirstFrame(form: String) throws {
        let result = try CLITests.run([
            "bench", "local", "--model", "taehv", "--frames", "2", "--width", "16", "--height", "16", "--form", form, "--repeats", "0",
            "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let row = try JSONDecoder().decode(VideoRow.self, from: Data(result.stdout.utf8))
        #expect(row.model == "taehv" && row.frames == 2 && row.form.hasPrefix(form))
        #expect(row.first_frame_seconds > 0 && row.first_frame_seconds <= row.seconds)
    }

    struct PrecisionRow: Decodable {
        let precision: String
        let computed_in: String
    }

    /// Capped below bf16 instructions, a bf16 bench says it computed in f32 (and why, on stderr).
    @Test func bf16WithoutBF16InstructionsIsReportedAsF32() throws {
        let capped = try CLITests.runRaw(
            ["bench", "local", "--model", "taesd", "--size", "16", "--repeats", "0", "--precision", "bf16", "--json"],
            environment: ["ONEDNN_MAX_CPU_ISA": "AVX2"])
        #expect(capped.status == 0, "\(capped.stderr)")
        let row = try JSONDecoder().decode(PrecisionRow.self, from: Data(capped.stdout))
        #expect(row.precision == "bf16" && row.computed_in == "f32")
        #expect(capped.stderr.contains("bf16 runs as f32 here"))
    }
}

/// `latentty bench conv`: every 3×3 layer shape of the decoder, timed with both kernels, the
/// direct one named.
@Suite struct ConvBenchCLITests {
    struct Row: Decodable {
        let layer: String
        let winograd_seconds: Double
        let direct_seconds: Double
        let direct_kernel: String
    }

    /// Small sizes: the shapes are what is checked, and the debug build's random weights for 512
    /// channels already take seconds.
    @Test(arguments: [("sd", 8, 6), ("taesd", 64, 4)])
    func timesEveryLayerShapeBothWays(model: String, size: Int, shapes: Int) throws {
        let result = try CLITests.run(["bench", "conv", "--model", model, "--size", String(size), "--repeats", "0", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
        #expect(rows.count == shapes)
        #expect(rows.allSatisfy { $0.winograd_seconds > 0 && $0.direct_seconds > 0 && !$0.direct_kernel.contains("winograd") })
        #expect(Set(rows.map(\.layer)).count == shapes, "each shape once")
    }
}
