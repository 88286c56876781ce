import Foundation
import Glibc

/// What a finished command printed and how it exited.
public struct CommandResult: Sendable, Equatable {
    public var status: Int32
    public var output: String
    public var errorOutput: String

    public init(status: Int32, output: String, errorOutput: String = "") {
        self.status = status
        self.output = output
        self.errorOutput = errorOutput
    }
}

public enum CommandError: Error, Equatable, CustomStringConvertible {
    case cannotStart(program: String, reason: String)
    case timedOut(program: String, seconds: Double)

    public var description: String {
        switch self {
        case .cannotStart(let program, let reason): "could not run \(program): \(reason)"
        case .timedOut(let program, let seconds): "\(program) did not finish within \(Int(seconds * 1000)) ms and was stopped"
        }
    }
}

/// Runs a short command (tmux's queries) to completion or a deadline. A protocol so detection can be
/// tested with canned answers instead of a tmux server.
public protocol CommandRunner: Sendable {
    /// `arguments[0]` is looked up on `PATH`.
    func run(_ arguments: [String], timeout: Double) throws(CommandError) -> CommandResult
}

/// `posix_spawnp` with both outputs read until they close or `timeout` passes; a command still
/// running then is killed, so a wedged tmux server cannot hold up the program's start.
public struct SystemCommandRunner: CommandRunner {
    public init() {}

    public func run(_ arguments: [String], timeout: Double) throws(CommandError) -> CommandResult {
        let program = arguments.first ?? ""
        let deadline = Date().addingTimeInterval(timeout)
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0 else { throw .cannotStart(program: program, reason: String(cString: strerror(errno))) }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0])
            close(outPipe[1])
            throw .cannotStart(program: program, reason: String(cString: strerror(errno)))
        }
        // Close-on-exec, so a command another thread starts meanwhile does not hold a write end
        // open and keep this read waiting to the deadline; the child gets its copies by dup2.
        for descriptor in outPipe + errPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, program, &actions, nil, &argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        guard spawned == 0 else { throw .cannotStart(program: program, reason: String(cString: strerror(spawned))) }

        var output: [UInt8] = []
        var errors: [UInt8] = []
        var open = [outPipe[0], errPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !open.isEmpty {
            let remaining = deadline.timeIntervalSinceNow
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard remaining > 0, poll(&descriptors, nfds_t(descriptors.count), Int32(max(1, remaining * 1000))) > 0 else {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                throw .timedOut(program: program, seconds: timeout)
            }
            for descriptor in descriptors where descriptor.revents != 0 {
                let count = read(descriptor.fd, &buffer, buffer.count)
                if count > 0 {
                    if descriptor.fd == outPipe[0] { output += buffer[0..<count] } else { errors += buffer[0..<count] }
                } else if count == 0 || errno != EINTR {
                    open.removeAll { $0 == descriptor.fd }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        // WIFEXITED/WEXITSTATUS are macros Swift cannot import.
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return CommandResult(
            status: exitStatus, output: String(decoding: output, as: UTF8.self), errorOutput: String(decoding: errors, as: UTF8.self))
    }
}
