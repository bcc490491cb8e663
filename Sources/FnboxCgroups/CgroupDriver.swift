import FnboxSystem
import Logging
import SystemPackage

/// One cgroup hierarchy, and what fnbox does in it for a sandbox: create the sandbox's directory
/// below our own cgroup, apply limits, read usage, kill the processes, remove the directory.
///
/// A v2 driver serves the controllers the unified hierarchy has; a v1 driver serves the
/// controllers of one v1 mount (`memory`, or `cpu,cpuacct` co-mounted). `CgroupManager`
/// composes them per controller, so a hybrid host may use both at once.
public protocol CgroupDriver: Sendable {
    var version: CgroupVersion { get }
    /// The controllers this driver serves for fnbox, in `CgroupController` order.
    var controllers: [CgroupController] { get }
    /// Where the hierarchy is mounted, e.g. `/sys/fs/cgroup/memory`.
    var mountPoint: FilePath { get }
    /// Our own cgroup in this hierarchy (from `/proc/self/cgroup`); sandboxes go in `<own>/fnbox/<name>`.
    var ownCgroup: FilePath { get }
    /// The syscalls it makes.
    var system: any CgroupSystem { get }

    /// Creates `<own>/fnbox/<name>`, doing whatever the hierarchy needs first, and returns the leaf.
    /// - Throws: `CgroupError.alreadyExists` if the leaf exists; `.createFailed`/`.writeFailed` otherwise.
    func createCgroup(named name: String, logger: Logger?) throws(CgroupError) -> FilePath
    /// Writes the limits of the controllers this driver serves; other limits are ignored.
    func applyLimits(_ limits: CgroupLimits, in directory: FilePath) throws(CgroupError)
    /// Sets or lifts (`nil`) the CFS quota.
    func setCPUQuota(_ quota: CPUQuota?, in directory: FilePath) throws(CgroupError)
    func memoryPeakBytes(in directory: FilePath) throws(CgroupError) -> UInt64
    func memoryCurrentBytes(in directory: FilePath) throws(CgroupError) -> UInt64
    func oomKillCount(in directory: FilePath) throws(CgroupError) -> Int
    func cpuThrottling(in directory: FilePath) throws(CgroupError)
        -> (periods: Int, throttledPeriods: Int, throttledMicros: Int)
    func pidsCurrent(in directory: FilePath) throws(CgroupError) -> Int
    /// The file a parent writes a pid into to move that process into the cgroup.
    func procsFile(in directory: FilePath) -> FilePath
    func processIDs(in directory: FilePath) throws(CgroupError) -> [Int32]
    /// Kills every process in the cgroup and waits (bounded) until none is left.
    func killAll(in directory: FilePath) throws(CgroupError)
    /// Removes the leaf, retrying while processes finish exiting; then the `fnbox` parent if it is unused.
    func removeCgroup(_ directory: FilePath) throws(CgroupError)
}

/// Names and bounds shared by the drivers.
enum CgroupLayout {
    /// The directory below our own cgroup that holds every sandbox.
    static let parentName = "fnbox"
    /// On v2, the leaf this process moves into when our own cgroup must hold no processes.
    static let selfName = "fnbox-self"
    /// `rmdir` fails with EBUSY until exiting processes are gone: retry this often...
    static let removeAttempts = 100
    /// ...with this pause in between (about 1 s in all).
    static let retryPause = Duration.milliseconds(10)
    /// Rounds of "read cgroup.procs, SIGKILL each" before giving up (about 2 s in all).
    static let killRounds = 200
    /// A concurrent `remove()` may delete the `fnbox` parent between our mkdir of it and of the leaf.
    static let createAttempts = 3
}

extension CgroupDriver {
    public func procsFile(in directory: FilePath) -> FilePath {
        directory.appending("cgroup.procs")
    }

    public func processIDs(in directory: FilePath) throws(CgroupError) -> [Int32] {
        let file = procsFile(in: directory)
        let text = try read(file)
        guard let pids = CgroupFileParsers.processIDs(text) else {
            throw .malformedFile(file: file, expected: "one pid a line", content: text)
        }
        return pids
    }

    public func pidsCurrent(in directory: FilePath) throws(CgroupError) -> Int {
        try readInteger(directory.appending("pids.current"))
    }

    public func memoryCurrentBytes(in directory: FilePath) throws(CgroupError) -> UInt64 {
        try readUnsigned(directory.appending(version == .v2 ? "memory.current" : "memory.usage_in_bytes"))
    }

    public func memoryPeakBytes(in directory: FilePath) throws(CgroupError) -> UInt64 {
        try readUnsigned(directory.appending(version == .v2 ? "memory.peak" : "memory.max_usage_in_bytes"))
    }

    public func cpuThrottling(in directory: FilePath) throws(CgroupError)
        -> (periods: Int, throttledPeriods: Int, throttledMicros: Int)
    {
        let file = directory.appending("cpu.stat")
        let text = try read(file)
        guard let result = CgroupFileParsers.cpuThrottling(text, version: version) else {
            let field = version == .v2 ? "throttled_usec" : "throttled_time"
            throw .malformedFile(file: file, expected: "nr_periods, nr_throttled and \(field) lines", content: text)
        }
        return result
    }

    public func removeCgroup(_ directory: FilePath) throws(CgroupError) {
        var attempt = 0
        while true {
            attempt += 1
            do throws(SystemCallError) {
                try system.removeDirectory(directory)
                break
            } catch where error.errno == .noSuchFileOrDirectory {
                break
            } catch where error.errno == .resourceBusy && attempt < CgroupLayout.removeAttempts {
                system.sleep(CgroupLayout.retryPause)
            } catch {
                throw .removeFailed(directory: directory, cause: error)
            }
        }
        // Another sandbox may still use the parent; then it stays, and its last user removes it.
        let parent = directory.removingLastComponent()
        guard parent == ownCgroup.appending(CgroupLayout.parentName) else { return }
        do throws(SystemCallError) {
            try system.removeDirectory(parent)
        } catch where [.directoryNotEmpty, .resourceBusy, .noSuchFileOrDirectory].contains(error.errno) {
            return
        } catch {
            throw .removeFailed(directory: parent, cause: error)
        }
    }

    // MARK: helpers for the drivers

    /// The "freezer-less" kill: read `cgroup.procs`, SIGKILL each, repeat until it is empty.
    /// Without a freezer a process can fork between the read and the kill, so this loops; `pids.max`
    /// bounds how far a fork bomb gets. A pid read here could exit and be reused before the kill
    /// reaches it; the window is microseconds, and v2's `cgroup.kill` (tried first) has none.
    func killProcessesInLoop(in directory: FilePath) throws(CgroupError) {
        for _ in 0..<CgroupLayout.killRounds {
            let pids = try processIDs(in: directory)
            if pids.isEmpty { return }
            for pid in pids {
                do throws(SystemCallError) {
                    try system.kill(pid)
                } catch where error.errno == .noSuchProcess {
                    continue
                } catch {
                    throw .killFailed(pid: pid, cause: error)
                }
            }
            system.sleep(CgroupLayout.retryPause)
        }
        let survivors = try processIDs(in: directory)
        if !survivors.isEmpty { throw .processesSurvivedKill(pids: survivors) }
    }

    /// Creates `<own>/fnbox` (if needed) and `<own>/fnbox/<name>`; `prepareParent` runs in between.
    /// Retries when a concurrent `removeCgroup` deletes the unused parent under our feet (ENOENT).
    func createNested(
        named name: String,
        prepareParent: (FilePath) throws(CgroupError) -> Void
    ) throws(CgroupError) -> FilePath {
        let parent = ownCgroup.appending(CgroupLayout.parentName)
        let leaf = parent.appending(name)
        var attempt = 0
        while true {
            attempt += 1
            do throws(SystemCallError) {
                try system.makeDirectory(parent)
            } catch where error.errno == .fileExists {
                // Made by an earlier sandbox.
            } catch {
                throw .createFailed(directory: parent, cause: error)
            }
            do throws(CgroupError) {
                try prepareParent(parent)
            } catch where error.systemCallError?.errno == .noSuchFileOrDirectory && attempt < CgroupLayout.createAttempts {
                continue
            }
            do throws(SystemCallError) {
                try system.makeDirectory(leaf)
                return leaf
            } catch where error.errno == .fileExists {
                throw .alreadyExists(directory: leaf)
            } catch where error.errno == .noSuchFileOrDirectory && attempt < CgroupLayout.createAttempts {
                continue
            } catch {
                // Don't leave an empty parent behind; it stays if another sandbox uses it.
                try? system.removeDirectory(parent)
                throw .createFailed(directory: leaf, cause: error)
            }
        }
    }

    func read(_ file: FilePath) throws(CgroupError) -> String {
        do throws(SystemCallError) {
            return try system.readText(file)
        } catch {
            throw .readFailed(file: file, cause: error)
        }
    }

    func write(_ value: String, to file: FilePath) throws(CgroupError) {
        do throws(SystemCallError) {
            try system.writeText(file, value)
        } catch {
            throw .writeFailed(file: file, value: value, cause: error)
        }
    }

    func readUnsigned(_ file: FilePath) throws(CgroupError) -> UInt64 {
        let text = try read(file)
        guard let value = CgroupFileParsers.unsignedValue(text) else {
            throw .malformedFile(file: file, expected: "an unsigned integer", content: text)
        }
        return value
    }

    func readInteger(_ file: FilePath) throws(CgroupError) -> Int {
        let text = try read(file)
        guard let value = CgroupFileParsers.integerValue(text) else {
            throw .malformedFile(file: file, expected: "an integer", content: text)
        }
        return value
    }

    /// The value of `key` in a flat-keyed file such as `memory.events`.
    func readKey(_ key: String, in file: FilePath) throws(CgroupError) -> Int {
        let text = try read(file)
        guard let value = CgroupFileParsers.flatKeyed(text)?[key] else {
            throw .malformedFile(file: file, expected: "a line '\(key) N'", content: text)
        }
        return value
    }

    func serves(_ controller: CgroupController) -> Bool {
        controllers.contains(controller)
    }
}

extension FilePath {
    /// `self` followed by an absolute cgroup path from `/proc/self/cgroup` (`/` adds nothing).
    func appendingCgroupPath(_ path: String) -> FilePath {
        var result = self
        for component in path.split(separator: "/") where component != "." && component != ".." {
            result.append(String(component))
        }
        return result
    }
}
