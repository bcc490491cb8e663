#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import FnboxSystem
import SystemPackage

/// The system calls the cgroup drivers make, injectable so that unit tests can run against a
/// fake cgroupfs in a temporary directory.
///
/// A fake needs more than a different root: on a real cgroupfs `mkdir` makes the control files
/// appear, `rmdir` removes a directory that still lists them, and writing `cgroup.procs` moves a
/// process. `FakeCgroupFS` in FnboxTestSupport emulates those rules; `HostCgroupSystem` is the real thing.
public protocol CgroupSystem: Sendable {
    /// Reads a whole (small) file.
    func readText(_ path: FilePath) throws(SystemCallError) -> String
    /// Writes `text` to an existing file in one `write` call; never creates the file.
    func writeText(_ path: FilePath, _ text: String) throws(SystemCallError)
    /// Creates one directory; throws `EEXIST` if it is there already.
    func makeDirectory(_ path: FilePath) throws(SystemCallError)
    /// Removes a cgroup directory (`rmdir`).
    func removeDirectory(_ path: FilePath) throws(SystemCallError)
    /// Whether something exists at `path`.
    func exists(_ path: FilePath) -> Bool
    /// Whether `path` is a directory, following symlinks.
    func isDirectory(_ path: FilePath) -> Bool
    /// Sends `SIGKILL` to `pid`.
    func kill(_ pid: Int32) throws(SystemCallError)
    /// This process's pid, written to `cgroup.procs` to move ourselves.
    var processID: Int32 { get }
    /// Waits a little between retries.
    func sleep(_ duration: Duration)
}

/// The real cgroupfs and the real processes.
public struct HostCgroupSystem: CgroupSystem {
    public init() {}

    public func readText(_ path: FilePath) throws(SystemCallError) -> String {
        try FileIO.readText(path)
    }

    public func writeText(_ path: FilePath, _ text: String) throws(SystemCallError) {
        try FileIO.writeText(path, text)
    }

    public func makeDirectory(_ path: FilePath) throws(SystemCallError) {
        try FileIO.makeDirectory(path, existOK: false)
    }

    public func removeDirectory(_ path: FilePath) throws(SystemCallError) {
        try FileIO.removeDirectory(path)
    }

    public func exists(_ path: FilePath) -> Bool {
        FileIO.exists(path)
    }

    public func isDirectory(_ path: FilePath) -> Bool {
        FileIO.isDirectory(path)
    }

    public func kill(_ pid: Int32) throws(SystemCallError) {
        if sendKill(pid) != 0 {
            throw SystemCallError("kill", errno: Errno(rawValue: errno))
        }
    }

    public var processID: Int32 { getpid() }

    public func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }
}

/// At file scope, so that `kill` is the C function rather than the method above.
private func sendKill(_ pid: Int32) -> Int32 {
    kill(pid, SIGKILL)
}
