import ArgumentParser
import Foundation
import LatentKit
import LatenttyTUI
import SystemInfo

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show the native libraries, CPU instruction set and config latentty is using.",
        discussion: "Example: latentty doctor")

    @OptionGroup var presets: PresetOptions

    @Flag(help: "Print as JSON.")
    var json = false

    struct Report: Encodable {
        let libraries: [LibraryVersion]
        let cpuISA: String
        let configFile: String
        let configStatus: String
    }

    func run() throws {
        let configURL = presets.configFile
        let status: String
        if !FileManager.default.fileExists(atPath: configURL.path) {
            status = "absent (built-in presets only)"
        } else {
            do {
                let presets = try PresetCatalog.load(configFile: configURL).presets.count
                // The workbench's settings and keys live in the same file; check them here too.
                _ = try KeyMap.configured(try Settings.load(configFile: configURL).keys, configFile: configURL.path)
                status = "ok, \(presets) presets"
            } catch {
                status = "error: \(error.description)"
            }
        }
        let report = Report(
            libraries: LinkedLibraries.all(), cpuISA: LinkedLibraries.oneDNNCPUISA(),
            configFile: configURL.path, configStatus: status)
        if json {
            try printJSON(report)
            return
        }
        for library in report.libraries {
            print(
                "\(library.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(library.version)  (\(library.purpose))"
            )
        }
        print("cpu isa       \(report.cpuISA)")
        printLine("config        \(report.configFile): \(report.configStatus)")
    }
}
