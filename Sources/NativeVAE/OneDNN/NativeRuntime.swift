import CDNNL
import Foundation
import Synchronization

/// Process-wide settings and facts of the native decoders: how many threads they use and which
/// oneDNN kernels they have run.
public enum NativeRuntime {
    /// Limits the threads of oneDNN (OpenMP in Debian's build) and of latentty's own parallel
    /// loops. Call before the first decode.
    public static func setThreads(_ count: Int) {
        threadCount.withLock { $0 = max(1, count) }
        isLimited.withLock { $0 = true }
        applyToCurrentThread()
    }

    /// OpenMP keeps the thread count per calling thread, so every thread that runs primitives
    /// applies it before it does.
    static func applyToCurrentThread() {
        guard isLimited.withLock({ $0 }), let setThreads else { return }
        setThreads(Int32(threads))
    }

    /// Debian's libdnnl uses GNU OpenMP; the symbol is looked up rather than linked because
    /// libgomp has no unversioned .so for the linker on a system without gcc's dev files.
    private static let setThreads: (@convention(c) (Int32) -> Void)? = dlsym(nil, "omp_set_num_threads").map {
        unsafeBitCast($0, to: (@convention(c) (Int32) -> Void).self)
    }

    private static let isLimited = Mutex(false)

    /// The threads parallel loops use: `setThreads`, else one per core.
    public static var threads: Int { threadCount.withLock { $0 } }

    private static let threadCount = Mutex(ProcessInfo.processInfo.activeProcessorCount)

    /// Whether oneDNN runs bf16 on bf16 instructions here (AVX512-BF16 or AMX). Below them its bf16
    /// matmuls and convolutions are emulated or reference loops, slower than f32, so bf16 runs as f32.
    public static let hasNativeBF16 = [dnnl_cpu_isa_avx512_core_bf16, dnnl_cpu_isa_avx512_core_amx].contains(
        dnnl_get_effective_cpu_isa())

    /// Why `--precision bf16` computes in f32 on this CPU, or nil where it runs in bf16.
    public static var bf16Fallback: String? {
        hasNativeBF16
            ? nil
            : "bf16 runs as f32 here: this CPU has no bf16 instructions (AVX512-BF16 or AMX), and without them bf16 would be slower than f32, not faster"
    }

    /// MemAvailable from /proc/meminfo, in bytes (nil where there is none).
    public static func availableMemory() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
            let kilobytes = line.split(separator: " ").compactMap({ Int($0) }).first
        else { return nil }
        return kilobytes * 1024
    }

    /// The kernels oneDNN has picked so far in this process, one line per kind, implementation and
    /// data types, e.g. `convolution: brgconv:avx512_core (bf16→bf16)`.
    public static var kernelsUsed: [String] { DNNL.shared?.kernels.lines ?? [] }

    /// Called with each kernel line the first time oneDNN picks it (for `--verbose`).
    public static var kernelObserver: (@Sendable (String) -> Void)? {
        get { observer.withLock { $0 } }
        set { observer.withLock { $0 = newValue } }
    }

    private static let observer = Mutex<(@Sendable (String) -> Void)?>(nil)
}

/// Runs `body(chunk)` for chunks 0..<count on at most `NativeRuntime.threads` threads; the chunks
/// must touch disjoint memory. The threads are OpenMP's team, the same ones oneDNN's primitives
/// run on: a second pool would start while OpenMP's threads still spin after the last primitive,
/// and the two would contend for the cores. A call from inside a parallel loop runs serially.
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    let workers = min(count, NativeRuntime.threads)
    guard workers > 1, !ParallelLoop.isInside else {
        for chunk in 0..<count { body(chunk) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let loop = ParallelLoop(count: count, body: body)
        if let openMP = OpenMP.shared {
            openMP.parallel(ParallelLoop.run, Unmanaged.passUnretained(loop).toOpaque(), UInt32(workers), 0)
        } else {
            let shared = UnsafeSendable(loop)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in shared.value.work() }
        }
    }
}

/// One `parallelFor` in progress: its threads take chunks in turn from a shared counter, so a
/// thread slowed by others on its core takes fewer.
private final class ParallelLoop {
    let count: Int
    let body: (Int) -> Void
    let next = Atomic(0)

    init(count: Int, body: @escaping (Int) -> Void) {
        self.count = count
        self.body = body
    }

    func work() {
        ParallelLoop.isInside = true
        defer { ParallelLoop.isInside = false }
        while true {
            let chunk = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard chunk < count else { return }
            body(chunk)
        }
    }

    /// What each OpenMP team thread runs, `data` being the loop.
    static let run: @convention(c) (UnsafeMutableRawPointer?) -> Void = { data in
        Unmanaged<ParallelLoop>.fromOpaque(data!).takeUnretainedValue().work()
    }

    /// Whether this thread is running a loop's chunks (a per-thread flag).
    static var isInside: Bool {
        get { pthread_getspecific(key) != nil }
        set { pthread_setspecific(key, newValue ? UnsafeRawPointer(bitPattern: 1) : nil) }
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}

/// libgomp's entry for `#pragma omp parallel`, looked up like `omp_set_num_threads`: it runs
/// `function(data)` on a team of `threads` (the caller included) and returns when all are done.
struct OpenMP {
    let parallel:
        @convention(c) (
            @convention(c) (UnsafeMutableRawPointer?) -> Void, UnsafeMutableRawPointer?, UInt32, UInt32
        ) -> Void

    static let shared: OpenMP? = dlsym(nil, "GOMP_parallel").map {
        OpenMP(
            parallel: unsafeBitCast(
                $0,
                to: (@convention(c) (@convention(c) (UnsafeMutableRawPointer?) -> Void, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void)
                    .self))
    }
}

/// Splits `total` items into `parallelism × 4` near-equal ranges (enough to balance uneven cores).
func chunkRanges(_ total: Int, minimum: Int = 1) -> [Range<Int>] {
    let pieces = max(1, min(NativeRuntime.threads * 4, total / max(1, minimum)))
    let size = (total + pieces - 1) / pieces
    return stride(from: 0, to: total, by: max(1, size)).map { $0..<min($0 + size, total) }
}
