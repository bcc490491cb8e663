import FnboxSystem
import SystemPackage

/// What went wrong with a cgroup, named for what failed. Errors from a syscall wrap the
/// `SystemCallError`, which carries the operation, the path and the errno.
public enum CgroupError: Error, Sendable, CustomStringConvertible {
    /// Reading `/proc/self/mountinfo` or `/proc/self/cgroup` failed while detecting the layout.
    case detectionFailed(SystemCallError)
    /// The cgroup root is neither cgroup2 nor a tmpfs of v1 mounts.
    case unsupportedFilesystem(path: FilePath, type: String)
    /// A line of `/proc/self/cgroup` is not `ID:controllers:/path`.
    case malformedProcSelfCgroup(line: String)
    /// The host is unified but `/proc/self/cgroup` has no `0::/path` line.
    case missingUnifiedEntry
    /// Our own cgroup, as `/proc/self/cgroup` names it, is not under the mount (often a
    /// container without a cgroup namespace that sees a different root).
    case ownCgroupNotFound(directory: FilePath)
    /// No hierarchy on this host serves the controller.
    case controllerUnavailable(CgroupController)
    /// A sandbox name must be one path component: not empty, no `/`, not `.` or `..`.
    case invalidName(String)
    case invalidMemoryLimit(UInt64)
    case invalidCPUQuota(CPUQuota)
    case invalidPidsMax(Int)
    /// The sandbox's cgroup already exists: the name is in use, or a crash left it behind.
    case alreadyExists(directory: FilePath)
    /// `mkdir` of a cgroup directory failed.
    case createFailed(directory: FilePath, cause: SystemCallError)
    /// Writing `value` to a cgroup file failed.
    case writeFailed(file: FilePath, value: String, cause: SystemCallError)
    /// Reading a cgroup file failed.
    case readFailed(file: FilePath, cause: SystemCallError)
    /// A cgroup file did not hold what the kernel documents.
    case malformedFile(file: FilePath, expected: String, content: String)
    /// Controllers could not be enabled for our children because other processes share our
    /// own v2 cgroup, even after moving this process into `fnbox-self`.
    case ownCgroupBusy(directory: FilePath, cause: SystemCallError)
    /// `kill(pid, SIGKILL)` failed with something other than "no such process".
    case killFailed(pid: Int32, cause: SystemCallError)
    /// Processes were still in the cgroup after the bounded kill loop.
    case processesSurvivedKill(pids: [Int32])
    /// `rmdir` of a cgroup directory failed (after retrying while processes exit).
    case removeFailed(directory: FilePath, cause: SystemCallError)

    /// The failed system call underneath, when there is one.
    public var systemCallError: SystemCallError? {
        switch self {
        case .detectionFailed(let cause),
             .createFailed(_, let cause),
             .writeFailed(_, _, let cause),
             .readFailed(_, let cause),
             .ownCgroupBusy(_, let cause),
             .killFailed(_, let cause),
             .removeFailed(_, let cause):
            return cause
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .detectionFailed(let cause):
            return "cannot detect the cgroup layout: \(cause)"
        case .unsupportedFilesystem(let path, let type):
            return "'\(path)' is neither cgroup2 nor tmpfs (it is \(type))"
        case .malformedProcSelfCgroup(let line):
            return "malformed line in /proc/self/cgroup: '\(line)'"
        case .missingUnifiedEntry:
            return "the host is cgroup v2 but /proc/self/cgroup has no '0::/path' line"
        case .ownCgroupNotFound(let directory):
            return "our own cgroup '\(directory)' does not exist under the mount"
                + " (is the hierarchy mounted from a different root, e.g. in a container?)"
        case .controllerUnavailable(let controller):
            return "no cgroup hierarchy on this host serves the \(controller.rawValue) controller"
        case .invalidName(let name):
            return "invalid cgroup name '\(name)': it must be one path component, not '.' or '..'"
        case .invalidMemoryLimit(let bytes):
            return "invalid memory limit \(bytes) bytes"
        case .invalidCPUQuota(let quota):
            return "invalid CPU quota \(quota): quota must be at least 1000µs, period 1000...1000000µs"
        case .invalidPidsMax(let value):
            return "invalid pids limit \(value): it must be at least 1"
        case .alreadyExists(let directory):
            return "cgroup '\(directory)' already exists"
        case .createFailed(let directory, let cause):
            return "cannot create cgroup '\(directory)': \(cause)"
        case .writeFailed(let file, let value, let cause):
            return "cannot set \(file.lastComponent?.string ?? file.string) to '\(value)': \(cause)"
        case .readFailed(let file, let cause):
            return "cannot read \(file.lastComponent?.string ?? file.string): \(cause)"
        case .malformedFile(let file, let expected, let content):
            return "unexpected content in '\(file)' (expected \(expected)): '\(content.prefix(200))'"
        case .ownCgroupBusy(let directory, let cause):
            return "cannot enable controllers below '\(directory)': other processes share our cgroup"
                + " (\(cause)); run fnbox in a cgroup of its own, e.g. systemd-run --scope -p Delegate=yes"
        case .killFailed(let pid, let cause):
            return "cannot kill process \(pid): \(cause)"
        case .processesSurvivedKill(let pids):
            return "processes \(pids.map(String.init).joined(separator: ", ")) survived SIGKILL"
        case .removeFailed(let directory, let cause):
            return "cannot remove cgroup '\(directory)': \(cause)"
        }
    }
}
