import SystemPackage

/// The cgroups of one sandbox: a leaf `<own>/fnbox/<name>` in each hierarchy that serves a controller.
///
/// Every method is a few short reads or writes of cgroup files, fine to call inline; `killAll`
/// and `remove` may wait up to about a second each for processes to exit.
public final class SandboxCgroup: Sendable {
    /// One hierarchy's leaf.
    public struct Member: Sendable {
        public let driver: any CgroupDriver
        public let directory: FilePath
    }

    public let name: String
    public let members: [Member]

    init(name: String, members: [Member]) {
        self.name = name
        self.members = members
    }

    /// The distinct `cgroup.procs` files the parent writes the child's pid into, before the
    /// child runs any setup.
    public var procsFiles: [FilePath] {
        members.map { $0.driver.procsFile(in: $0.directory) }
    }

    /// When every controller is served by v2: the leaf directory, for clone3's `CLONE_INTO_CGROUP`.
    /// nil otherwise.
    public var unifiedDirectory: FilePath? {
        guard members.count == 1, let only = members.first, only.driver.version == .v2 else { return nil }
        return only.directory
    }

    /// Every directory created for this sandbox (one leaf per hierarchy), for tests that assert cleanup.
    /// The shared `fnbox` parents are not listed: another sandbox may keep them alive.
    public var paths: [FilePath] {
        members.map(\.directory)
    }

    /// Sets or lifts the CPU quota, e.g. after the init phase.
    /// - Parameter quota: `nil` is unlimited (`max` on v2, `-1` in v1's `cpu.cfs_quota_us`).
    /// - Throws: `CgroupError.invalidCPUQuota`, `.controllerUnavailable(.cpu)` or `.writeFailed`.
    public func setCPUQuota(_ quota: CPUQuota?) throws(CgroupError) {
        if let quota, !quota.isValid { throw .invalidCPUQuota(quota) }
        let member = try member(for: .cpu)
        try member.driver.setCPUQuota(quota, in: member.directory)
    }

    /// The most memory the sandbox has used: v2 `memory.peak`, v1 `memory.max_usage_in_bytes`.
    public func memoryPeakBytes() throws(CgroupError) -> UInt64 {
        let member = try member(for: .memory)
        return try member.driver.memoryPeakBytes(in: member.directory)
    }

    /// Memory in use now: v2 `memory.current`, v1 `memory.usage_in_bytes`.
    public func memoryCurrentBytes() throws(CgroupError) -> UInt64 {
        let member = try member(for: .memory)
        return try member.driver.memoryCurrentBytes(in: member.directory)
    }

    /// Processes the OOM killer killed in the sandbox: `oom_kill` of v2 `memory.events` or v1 `memory.oom_control`.
    public func oomKillCount() throws(CgroupError) -> Int {
        let member = try member(for: .memory)
        return try member.driver.oomKillCount(in: member.directory)
    }

    /// CFS throttling from `cpu.stat` (v1's `throttled_time` is converted from ns to µs).
    public func cpuThrottling() throws(CgroupError) -> (periods: Int, throttledPeriods: Int, throttledMicros: Int) {
        let member = try member(for: .cpu)
        return try member.driver.cpuThrottling(in: member.directory)
    }

    /// Tasks in the sandbox now (`pids.current`).
    public func pidsCurrent() throws(CgroupError) -> Int {
        let member = try member(for: .pids)
        return try member.driver.pidsCurrent(in: member.directory)
    }

    /// The processes in any of the sandbox's cgroups, sorted.
    public func processIDs() throws(CgroupError) -> [Int32] {
        var all = Set<Int32>()
        for member in members {
            all.formUnion(try member.driver.processIDs(in: member.directory))
        }
        return all.sorted()
    }

    /// Kills every process in the sandbox and waits (about 2 s at most) until none is left.
    /// - Throws: `CgroupError.processesSurvivedKill`, `.killFailed`, or a read/write error.
    public func killAll() throws(CgroupError) {
        for member in members {
            try member.driver.killAll(in: member.directory)
        }
    }

    /// Removes every leaf (retrying about 1 s while processes finish exiting), then each `fnbox`
    /// parent that no other sandbox uses. Leaves already gone are fine, so this can be called again.
    /// - Throws: the first `CgroupError.removeFailed`, after trying every leaf.
    public func remove() throws(CgroupError) {
        var firstError: CgroupError?
        for member in members {
            do throws(CgroupError) {
                try member.driver.removeCgroup(member.directory)
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
    }

    private func member(for controller: CgroupController) throws(CgroupError) -> Member {
        guard let member = members.first(where: { $0.driver.controllers.contains(controller) }) else {
            throw .controllerUnavailable(controller)
        }
        return member
    }
}
