import FnboxSystem
import Logging
import SystemPackage

/// One v1 hierarchy, e.g. `/sys/fs/cgroup/memory` or a co-mounted `/sys/fs/cgroup/cpu,cpuacct`.
/// v1 has no "no internal processes" rule, so a sandbox is just `mkdir <own>/fnbox/<name>`.
public struct CgroupV1Driver: CgroupDriver {
    public let version = CgroupVersion.v1
    public let mountPoint: FilePath
    public let ownCgroup: FilePath
    public let controllers: [CgroupController]
    public let system: any CgroupSystem

    /// - Parameters:
    ///   - mountPoint: the hierarchy's mount directory.
    ///   - ownCgroupPath: the path of this hierarchy's line in `/proc/self/cgroup`.
    ///   - controllers: the controllers fnbox uses from this hierarchy.
    ///   - system: the syscalls to use.
    /// - Throws: `CgroupError.ownCgroupNotFound` if `<mountPoint><ownCgroupPath>` is not a directory.
    public init(
        mountPoint: FilePath,
        ownCgroupPath: String,
        controllers: [CgroupController],
        system: any CgroupSystem = HostCgroupSystem()
    ) throws(CgroupError) {
        let own = mountPoint.appendingCgroupPath(ownCgroupPath)
        guard system.isDirectory(own) else { throw .ownCgroupNotFound(directory: own) }
        self.mountPoint = mountPoint
        self.ownCgroup = own
        self.controllers = controllers.sorted()
        self.system = system
    }

    /// Finds where the hierarchy of a `/proc/self/cgroup` line is mounted below `root`: the
    /// directory named by the whole list (`cpu,cpuacct`, as systemd mounts it), else the one named
    /// after the controller (`cpu`, a separate mount here, or systemd's symlink). A candidate counts
    /// only if it holds `cgroup.procs`, i.e. is a cgroup mount rather than an empty directory.
    ///
    /// Known shortcut: this assumes the usual `/sys/fs/cgroup/<name>` mounts instead of reading
    /// `/proc/self/mountinfo`, as containerization does for v2 ("for now just assume it's always at /sys/fs/cgroup").
    public static func locateMount(
        of entry: ProcSelfCgroup.V1Entry,
        controller: CgroupController,
        root: FilePath,
        system: any CgroupSystem = HostCgroupSystem()
    ) -> FilePath? {
        let candidates = [entry.controllers.joined(separator: ","), controller.rawValue]
        for name in candidates {
            let directory = root.appending(name)
            if system.isDirectory(directory) && system.exists(directory.appending("cgroup.procs")) {
                return directory
            }
        }
        return nil
    }

    public func createCgroup(named name: String, logger: Logger?) throws(CgroupError) -> FilePath {
        let leaf = try createNested(named: name) { _ throws(CgroupError) in }
        logger?.debug("created cgroup", metadata: ["cgroup.path": "\(leaf)"])
        return leaf
    }

    public func applyLimits(_ limits: CgroupLimits, in directory: FilePath) throws(CgroupError) {
        if serves(.memory), let bytes = limits.memoryBytes {
            // The kernel requires memsw >= limit. A new cgroup's memsw is unlimited, so the
            // limit goes first and memsw (memory+swap, i.e. no swap) follows. memsw exists only
            // with swap accounting on.
            try write(String(bytes), to: directory.appending("memory.limit_in_bytes"))
            let memsw = directory.appending("memory.memsw.limit_in_bytes")
            if system.exists(memsw) { try write(String(bytes), to: memsw) }
        }
        if serves(.cpu), let quota = limits.cpu {
            try setCPUQuota(quota, in: directory)
        }
        if serves(.pids), let pids = limits.pidsMax {
            try write(String(pids), to: directory.appending("pids.max"))
        }
    }

    public func setCPUQuota(_ quota: CPUQuota?, in directory: FilePath) throws(CgroupError) {
        guard let quota else {
            try write("-1", to: directory.appending("cpu.cfs_quota_us"))
            return
        }
        // The period first, so that the quota is read against the period it was meant for.
        try write(String(quota.periodMicros), to: directory.appending("cpu.cfs_period_us"))
        try write(String(quota.quotaMicros), to: directory.appending("cpu.cfs_quota_us"))
    }

    /// The `oom_kill` line of `memory.oom_control` (Linux 4.13+).
    public func oomKillCount(in directory: FilePath) throws(CgroupError) -> Int {
        try readKey("oom_kill", in: directory.appending("memory.oom_control"))
    }

    /// v1 has no `cgroup.kill`: SIGKILL each pid in `cgroup.procs` until it is empty.
    public func killAll(in directory: FilePath) throws(CgroupError) {
        try killProcessesInLoop(in: directory)
    }
}
