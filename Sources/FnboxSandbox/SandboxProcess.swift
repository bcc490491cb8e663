import CFnboxShims
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// How a sandbox's first process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(status & 0x7f)
        }
    }

    /// Lambda's wording: "exit status 1", "signal: killed".
    public var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let sig): return "signal: \(ExitStatus.signalName(sig))"
        }
    }

    static func signalName(_ sig: Int32) -> String {
        switch sig {
        case SIGKILL: return "killed"
        case SIGSEGV: return "segmentation fault"
        case SIGABRT: return "aborted"
        case SIGTERM: return "terminated"
        case SIGBUS: return "bus error"
        case SIGILL: return "illegal instruction"
        case SIGFPE: return "floating point exception"
        default: return "signal \(sig)"
        }
    }
}

/// The running sandbox: PID 1 of its own pid namespace, held by a pidfd so signals and waits
/// can never hit a recycled pid. When PID 1 exits, the kernel kills everything else in the
/// namespace, so killing it ends the whole process tree.
public final class SandboxProcess: @unchecked Sendable {
    // `exitStatus` changes only in `tryWait`/`waitBlocking`, which one owner calls (the instance);
    // `signal` may come from any thread and touches only the immutable pidfd.
    public let pid: pid_t
    public let pidfd: Int32
    public private(set) var exitStatus: ExitStatus?

    init(pid: pid_t, pidfd: Int32) {
        self.pid = pid
        self.pidfd = pidfd
    }

    deinit {
        if pidfd >= 0 {
            if exitStatus == nil {
                _ = fnbox_pidfd_send_signal(pidfd, SIGKILL)
                var status: Int32 = 0
                _ = fnbox_pidfd_wait(pidfd, 0, &status)
            }
            Glibc.close(pidfd)
        }
    }

    /// Sends a signal to PID 1 of the sandbox. ESRCH (already gone) is not an error. Safe from any
    /// thread: the pidfd stays open until this object is deinitialised, so it can never name
    /// another process.
    public func signal(_ sig: Int32) {
        _ = fnbox_pidfd_send_signal(pidfd, sig)
    }

    /// Kills the sandbox's whole process tree (SIGKILL to its PID 1).
    public func kill() { signal(SIGKILL) }

    /// Reaps the process if it has exited; nil while it runs.
    public func tryWait() -> ExitStatus? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        if fnbox_pidfd_wait(pidfd, 1, &status) == 1 {
            exitStatus = ExitStatus(waitStatus: status)
        }
        return exitStatus
    }

    /// Blocks until the process exits, and reaps it. Call off the cooperative pool.
    @discardableResult
    public func waitBlocking() -> ExitStatus {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        let rc = fnbox_pidfd_wait(pidfd, 0, &status)
        let result = rc == 1 ? ExitStatus(waitStatus: status) : .signaled(SIGKILL)
        exitStatus = result
        return result
    }
}
