import Foundation
import Synchronization
import TerminalGraphics

/// Asks tmux twice a second whether latentty's pane is on screen and where, for pictures tmux does
/// not manage (direct kitty placements through passthrough): nothing tells a pane that another
/// window now covers it. A change wakes the loop, which reads `current`.
final class TmuxPaneWatcher: Sendable {
    private let view: Mutex<TmuxPaneView?>
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(initial: TmuxPaneView?, environment: [String: String], changed: @escaping @Sendable () -> Void) {
        view = Mutex(initial)
        let polling = Task.detached { [weak self] in
            while !Task.isCancelled, let self {
                try? await Task.sleep(for: .milliseconds(500))
                guard let latest = TmuxPaneView.read(environment: environment, runner: SystemCommandRunner(), timeout: 0.5) else {
                    continue
                }
                let isNew = self.view.withLock { current in
                    defer { current = latest }
                    return current != latest
                }
                if isNew { changed() }
            }
        }
        task.withLock { $0 = polling }
    }

    var current: TmuxPaneView? { view.withLock { $0 } }

    func stop() { task.withLock { $0?.cancel() } }
}
