import Foundation
import Workbench

/// The open-files dialog: a path with completion, the directory's latent and image files, multi-select, recents.
public struct FileDialog: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var isDirectory: Bool
        /// A recently opened file, listed by its full path.
        public var isRecent = false

        public init(name: String, isDirectory: Bool, isRecent: Bool = false) {
            self.name = name
            self.isDirectory = isDirectory
            self.isRecent = isRecent
        }
    }

    public var path: String
    public var directory: String
    public var entries: [Entry]
    public var index: Int
    public var selected: [String]
    public var recent: [String]

    public static let latentExtensions: Set<String> = ["safetensors", "latent", "npy", "npz", "pt", "pth"]
    /// Images are encoded into latents when opened.
    public static let openableExtensions = latentExtensions.union(SourceImage.extensions)

    /// A dialog on `directory`, its entries still to be listed.
    public init(directory: String, recent: [String]) {
        self.path = directory.hasSuffix("/") ? directory : directory + "/"
        self.directory = directory
        self.entries = []
        self.index = 0
        self.selected = []
        self.recent = recent
    }

    /// Recent files first (until something is typed), then entries whose names start with what is
    /// typed after the last `/`.
    public var visible: [Entry] {
        let prefix = path.hasSuffix("/") ? "" : (path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? "")
        let recents = prefix.isEmpty ? recent.map { Entry(name: $0, isDirectory: false, isRecent: true) } : []
        return recents + entries.filter { prefix.isEmpty || $0.name.hasPrefix(prefix) }
    }

    /// The full path of an entry.
    public func path(of entry: Entry) -> String {
        entry.isRecent ? entry.name : Self.join(directory, entry.name)
    }

    /// Tab completion: the longest prefix every visible entry shares (a directory gets its `/`).
    public func completed() -> String {
        let candidates = visible
        guard let first = candidates.first else { return path }
        var common = first.name
        for candidate in candidates.dropFirst() {
            common = String(zip(common, candidate.name).prefix { $0 == $1 }.map(\.0))
        }
        let base = path.hasSuffix("/") ? path : String(path[..<(path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex)])
        let suffix = candidates.count == 1 && first.isDirectory ? "/" : ""
        return base + common + suffix
    }

    /// The directory the typed path is in (the path itself when it ends in `/`); the one shown
    /// until a `/` is typed.
    var typedDirectory: String {
        guard let slash = path.lastIndex(of: "/") else { return directory }
        let typed = String(path[..<slash])
        return typed.isEmpty ? "/" : typed
    }

    /// The folder holding `path`, a relative path taken from `workingDirectory`. Plain string work:
    /// Foundation would resolve a relative path against the process's directory.
    static func folder(of path: String, workingDirectory: String) -> String {
        let absolute = path.hasPrefix("/") ? path : join(workingDirectory, path)
        guard let slash = absolute.lastIndex(of: "/"), slash != absolute.startIndex else { return "/" }
        return String(absolute[..<slash])
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
