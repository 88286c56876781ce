import Foundation

/// Byte counts as people read them in job lines, progress bars and messages: `512 B`, `32.0 KB`,
/// `1.5 MB`, `8.6 GB`.
public enum ByteCount {
    public static func text(_ count: Int) -> String {
        if count < 1024 { return "\(count) B" }
        if count < 1 << 20 { return String(format: "%.1f KB", Double(count) / 1024) }
        if count < 1 << 30 { return String(format: "%.1f MB", Double(count) / 1_048_576) }
        return String(format: "%.1f GB", Double(count) / 1_073_741_824)
    }
}
