import CCurl
import CDNNL
import CNcursesw
import CSixel
import CSpng
import CTurboJPEG

/// One native library latentty links, with the version it reports at run time.
public struct LibraryVersion: Sendable, Equatable, Codable {
    public let name: String
    public let purpose: String
    public let version: String
}

/// The system libraries behind latentty, asked for their versions (which also proves they load).
public enum LinkedLibraries {
    public static func all() -> [LibraryVersion] {
        [
            LibraryVersion(
                name: "ncursesw", purpose: "terminal UI", version: String(cString: curses_version())),
            LibraryVersion(
                name: "libcurl", purpose: "HTTP client", version: String(cString: curl_version())),
            LibraryVersion(name: "libsixel", purpose: "sixel graphics", version: LIBSIXEL_VERSION),
            LibraryVersion(name: "oneDNN", purpose: "CPU decoder", version: oneDNNVersion()),
            LibraryVersion(name: "libturbojpeg", purpose: "JPEG", version: turboJPEGVersion()),
            LibraryVersion(
                name: "libspng", purpose: "PNG", version: String(cString: spng_version_string())),
        ]
    }

    static func oneDNNVersion() -> String {
        guard let version = dnnl_version()?.pointee else { return "unknown" }
        return "\(version.major).\(version.minor).\(version.patch)"
    }

    /// TurboJPEG has no version call; a live handle shows the library loads and works.
    static func turboJPEGVersion() -> String {
        guard let handle = tjInitCompress() else { return "unavailable" }
        tjDestroy(handle)
        return "TurboJPEG API 2"
    }

    /// The instruction set oneDNN will use on this CPU: it decides between the f32 and bf16/AMX kernels.
    public static func oneDNNCPUISA() -> String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx (AMX bf16 tiles)"
        case dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: "avx2_vnni"
        case dnnl_cpu_isa_avx2: "avx2"
        case dnnl_cpu_isa_avx: "avx"
        case dnnl_cpu_isa_sse41: "sse4.1"
        default: "baseline"
        }
    }
}
