import FnboxSystem
import Logging
import SystemPackage

/// The unified (v2) hierarchy: `/sys/fs/cgroup` on a unified host, `/sys/fs/cgroup/unified` on a hybrid one.
///
/// v2's "no internal processes" rule shapes `createCgroup`: controllers can be enabled in a
/// cgroup's `cgroup.subtree_control` only while it holds no processes (the root is exempt). So:
/// 1. enable the controllers in `<own>/cgroup.subtree_control`; if that fails with EBUSY because
///    this process lives in `<own>`, move this process into the leaf `<own>/fnbox-self` and try
///    again (nsjail's `moveSelfIntoChildCgroup` in `cgroup2.cc`);
/// 2. enable them in `<own>/fnbox/cgroup.subtree_control` (`fnbox` never holds a process);
/// 3. create the leaf `<own>/fnbox/<name>`.
/// It never remounts and never touches cgroups above our own.
public struct CgroupV2Driver: CgroupDriver {
    public let version = CgroupVersion.v2
    public let mountPoint: FilePath
    public let ownCgroup: FilePath
    public let controllers: [CgroupController]
    public let system: any CgroupSystem

    /// - Parameters:
    ///   - mountPoint: where cgroup2 is mounted.
    ///   - ownCgroupPath: the path of the `0::` line of `/proc/self/cgroup`. A trailing
    ///     `fnbox-self` (where an earlier run of ours moved this process) is dropped, so that
    ///     sandboxes stay siblings of it rather than nesting one level deeper each time.
    ///   - system: the syscalls to use.
    /// - Throws: `CgroupError.ownCgroupNotFound` if the directory is missing,
    ///   `.readFailed` if its `cgroup.controllers` can't be read.
    public init(mountPoint: FilePath, ownCgroupPath: String, system: any CgroupSystem = HostCgroupSystem()) throws(CgroupError) {
        var own = mountPoint.appendingCgroupPath(ownCgroupPath)
        if own.lastComponent?.string == CgroupLayout.selfName && own != mountPoint {
            own.removeLastComponent()
        }
        guard system.isDirectory(own) else { throw .ownCgroupNotFound(directory: own) }
        let file = own.appending("cgroup.controllers")
        let text: String
        do throws(SystemCallError) {
            text = try system.readText(file)
        } catch {
            throw .readFailed(file: file, cause: error)
        }
        let available = CgroupFileParsers.controllerNames(text)
        self.mountPoint = mountPoint
        self.ownCgroup = own
        self.controllers = CgroupController.allCases.filter { available.contains($0.rawValue) }
        self.system = system
    }

    public func createCgroup(named name: String, logger: Logger?) throws(CgroupError) -> FilePath {
        try enableControllers(in: ownCgroup, logger: logger, moveSelfIfBusy: ownCgroup != mountPoint)
        let leaf = try createNested(named: name) { parent throws(CgroupError) in
            try enableControllers(in: parent, logger: logger, moveSelfIfBusy: false)
        }
        logger?.debug("created cgroup", metadata: ["cgroup.path": "\(leaf)"])
        return leaf
    }

    public func applyLimits(_ limits: CgroupLimits, in directory: FilePath) throws(CgroupError) {
        if serves(.memory), let bytes = limits.memoryBytes {
            try write(String(bytes), to: directory.appending("memory.max"))
            // No swap: a sandbox over its limit is OOM-killed instead of swapping.
            // The file is absent on kernels built without swap support.
            let swap = directory.appending("memory.swap.max")
            if system.exists(swap) { try write("0", to: swap) }
        }
        if serves(.cpu), let quota = limits.cpu {
            try setCPUQuota(quota, in: directory)
        }
        if serves(.pids), let pids = limits.pidsMax {
            try write(String(pids), to: directory.appending("pids.max"))
        }
    }

    public func setCPUQuota(_ quota: CPUQuota?, in directory: FilePath) throws(CgroupError) {
        let value = quota.map { "\($0.quotaMicros) \($0.periodMicros)" } ?? "max \(CPUQuota.defaultPeriodMicros)"
        try write(value, to: directory.appending("cpu.max"))
    }

    public func oomKillCount(in directory: FilePath) throws(CgroupError) -> Int {
        try readKey("oom_kill", in: directory.appending("memory.events"))
    }

    /// Writes `1` to `cgroup.kill` (Linux 5.14+) when the file exists, which kills every process
    /// atomically, then loops until `cgroup.procs` is empty, which is the whole method on older kernels.
    public func killAll(in directory: FilePath) throws(CgroupError) {
        let killFile = directory.appending("cgroup.kill")
        if system.exists(killFile) {
            try write("1", to: killFile)
        }
        try killProcessesInLoop(in: directory)
    }

    /// Enables this driver's controllers for the children of `directory`, writing only the missing ones.
    private func enableControllers(in directory: FilePath, logger: Logger?, moveSelfIfBusy: Bool) throws(CgroupError) {
        let file = directory.appending("cgroup.subtree_control")
        let enabled = CgroupFileParsers.controllerNames(try read(file))
        let missing = controllers.filter { !enabled.contains($0.rawValue) }
        guard !missing.isEmpty else { return }
        let value = missing.map { "+\($0.rawValue)" }.joined(separator: " ")
        do throws(SystemCallError) {
            try system.writeText(file, value)
        } catch where error.errno == .resourceBusy && moveSelfIfBusy {
            try moveSelfIntoLeaf(below: directory, logger: logger)
            do throws(SystemCallError) {
                try system.writeText(file, value)
            } catch where error.errno == .resourceBusy {
                throw .ownCgroupBusy(directory: directory, cause: error)
            } catch {
                throw .writeFailed(file: file, value: value, cause: error)
            }
        } catch {
            throw .writeFailed(file: file, value: value, cause: error)
        }
        logger?.info(
            "enabled cgroup controllers for children",
            metadata: ["cgroup.path": "\(directory)", "cgroup.controllers": "\(value)"]
        )
    }

    /// Moves this process (all its threads) into `<directory>/fnbox-self`, which leaves
    /// `directory` free of our processes. The leaf stays while we live in it: a cgroup holding
    /// a process cannot be removed.
    private func moveSelfIntoLeaf(below directory: FilePath, logger: Logger?) throws(CgroupError) {
        let leaf = directory.appending(CgroupLayout.selfName)
        do throws(SystemCallError) {
            try system.makeDirectory(leaf)
        } catch where error.errno == .fileExists {
            // Left by an earlier run of ours.
        } catch {
            throw .createFailed(directory: leaf, cause: error)
        }
        try write(String(system.processID), to: procsFile(in: leaf))
        logger?.info(
            "moved this process into a leaf cgroup, because cgroup v2 allows no processes in a cgroup that enables controllers for its children",
            metadata: ["cgroup.path": "\(leaf)"]
        )
    }
}
