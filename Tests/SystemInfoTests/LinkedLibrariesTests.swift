import Testing

@testable import SystemInfo

@Suite struct LinkedLibrariesTests {
    @Test func everyShimLinksAndReportsAVersion() {
        let libraries = LinkedLibraries.all()
        #expect(
            libraries.map(\.name) == [
                "ncursesw", "libcurl", "libsixel", "oneDNN", "libturbojpeg", "libspng",
            ])
        for library in libraries {
            #expect(
                !library.version.isEmpty && library.version != "unknown"
                    && library.version != "unavailable", "\(library.name)")
        }
        #expect(libraries.first { $0.name == "oneDNN" }?.version.hasPrefix("2.") == true)
    }

    @Test func reportsTheCPUInstructionSet() {
        #expect(!LinkedLibraries.oneDNNCPUISA().isEmpty)
    }
}
