import ArgumentParser
import Foundation
import LatentKit
import NativeVAE
import SystemInfo

/// Threads and diagnostics of the native (oneDNN) decoders.
struct NativeRuntimeOptions: ParsableArguments {
    @Option(help: "Threads for local decoding (default: one per core).")
    var threads: Int?

    @Flag(help: "Print the CPU instruction set, the threads and each oneDNN kernel the local decoder runs (to stderr).")
    var verbose = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// Applies the thread count and, with --verbose, starts reporting kernels; says so when bf16
    /// asked for will run as f32 on this CPU.
    func apply(precision: Precision = .f32) {
        if let threads { NativeRuntime.setThreads(threads) }
        if precision == .bf16, let note = NativeRuntime.bf16Fallback { printError("note: \(note)") }
        guard verbose else { return }
        printError("native decoder: cpu isa \(LinkedLibraries.oneDNNCPUISA()), \(NativeRuntime.threads) threads")
        NativeRuntime.kernelObserver = { line in printError("native kernel: \(line)") }
    }
}
