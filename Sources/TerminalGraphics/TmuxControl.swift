import Foundation

public enum TmuxControlError: Error, Equatable, CustomStringConvertible {
    case notInTmux
    case command(CommandError)
    case refused(status: Int32, message: String)

    public var description: String {
        switch self {
        case .notInTmux: "not inside tmux (TMUX is not set), so there is no pane to change"
        case .command(let error): error.description
        case .refused(let status, let message):
            "tmux refused to set allow-passthrough (exit \(status))" + (message.isEmpty ? "" : ": \(message)")
                + "; tmux 3.3 or newer is needed"
        }
    }
}

/// Changes to tmux that latentty makes only when the person asks (detection never does).
public enum TmuxControl {
    /// `tmux set -p allow-passthrough on` for latentty's own pane: other panes and the global
    /// setting stay as they are, and the change goes away with the pane.
    public static func enablePassthroughForPane(
        environment: [String: String], runner: some CommandRunner = SystemCommandRunner(), timeout: Double = 2
    ) throws(TmuxControlError) {
        guard environment["TMUX"] != nil else { throw .notInTmux }
        let arguments = ["tmux", "set-option", "-p"] + TmuxInfo.paneTarget(environment) + ["allow-passthrough", "on"]
        let result: CommandResult
        do throws(CommandError) {
            result = try runner.run(arguments, timeout: timeout)
        } catch {
            throw .command(error)
        }
        guard result.status == 0 else {
            throw .refused(status: result.status, message: result.errorOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
