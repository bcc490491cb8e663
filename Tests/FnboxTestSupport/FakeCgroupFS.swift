import FnboxCgroups
import FnboxSystem
import Foundation
import Synchronization
import SystemPackage

/// A fake cgroupfs in a temporary directory, for unit tests of the cgroup drivers.
///
/// It lays out the files a driver reads (`cgroup.controllers`, `cgroup.subtree_control`,
/// `cgroup.procs`, `memory.limit_in_bytes`, ...) for a unified, hybrid or legacy host, and
/// implements `CgroupSystem` with the kernel's rules that matter to fnbox:
/// - `mkdir` makes the control files appear: on v1 those of the mount's controllers, on v2 those
///   of the controllers the parent enables in `cgroup.subtree_control`;
/// - `rmdir` fails with EBUSY while the cgroup has children or processes, and removes the files;
/// - writes go to existing files only (ENOENT otherwise);
/// - `cgroup.subtree_control` rejects controllers the cgroup lacks (ENOENT) and, below the root,
///   any write while the cgroup holds processes (EBUSY: "no internal processes");
/// - `cgroup.procs` moves a pid within its hierarchy; `cgroup.kill` and `kill` make it exit;
/// - v1 rejects a `memory.limit_in_bytes` above `memory.memsw.limit_in_bytes` and vice versa (EINVAL).
/// Processes are only pids written into files: nothing real is ever signalled.
public final class FakeCgroupFS: CgroupSystem, Sendable {
    /// One write the code under test made, in order.
    public struct Write: Sendable, Equatable, CustomStringConvertible {
        public let file: FilePath
        public let value: String
        public var description: String { "\(file.lastComponent?.string ?? "") = \(value)" }
    }

    /// The temporary directory that stands in for `/sys/fs/cgroup`.
    public let root: FilePath
    public let mode: CgroupMode
    /// The text to pass as `/proc/self/cgroup`.
    public let procSelfCgroup: String
    /// The pid the code under test believes it has.
    public let processID: Int32
    /// Where cgroup2 is "mounted", if anywhere.
    public let v2Mount: FilePath?
    /// v1 mount directory -> its controllers.
    public let v1Mounts: [FilePath: [String]]

    private let swapFiles: Bool
    private let cgroupKill: Bool
    private let state = Mutex(State())

    private struct State {
        var writes: [Write] = []
        var kills: [Int32] = []
        var sleeps = 0
        var unkillable: Set<Int32> = []
        var busyRemovals: [FilePath: Int] = [:]
        var failingWrites: [String: Errno] = [:]
    }

    /// Builds the fake.
    /// - Parameters:
    ///   - mode: the host layout to imitate.
    ///   - v2Controllers: the controllers the unified hierarchy has (unified and hybrid only;
    ///     this host's unified hierarchy has none of ours).
    ///   - ownPath: our own cgroup in every hierarchy, as `/proc/self/cgroup` names it.
    ///   - v1OwnPaths: per v1 mount name (`"memory"`, `"cpu,cpuacct"`), a different own path.
    ///   - v1Mounts: the v1 hierarchies, each a list of co-mounted controllers; those whose
    ///     controllers the unified hierarchy has are left out on a hybrid host.
    ///   - swapFiles: whether `memory.memsw.limit_in_bytes` / `memory.swap.max` exist.
    ///   - cgroupKill: whether v2 cgroups have `cgroup.kill` (Linux 5.14+).
    ///   - processesInOwnCgroup: pids listed in our own cgroup's `cgroup.procs` in every hierarchy.
    ///   - processID: the pid `processID` reports.
    public init(
        mode: CgroupMode,
        v2Controllers: Set<CgroupController> = Set(CgroupController.allCases),
        ownPath: String = "/",
        v1OwnPaths: [String: String] = [:],
        v1Mounts: [[String]] = [["cpu"], ["cpuacct"], ["memory"], ["pids"]],
        swapFiles: Bool = true,
        cgroupKill: Bool = true,
        processesInOwnCgroup: [Int32] = [],
        processID: Int32 = 4242
    ) throws {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("fnbox-fakecg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        self.root = FilePath(base)
        self.mode = mode
        self.processID = processID
        self.swapFiles = swapFiles
        self.cgroupKill = cgroupKill

        let v2Names = mode == .legacy ? [] : CgroupController.allCases.filter { v2Controllers.contains($0) }.map(\.rawValue)
        switch mode {
        case .unified: v2Mount = root
        case .hybrid: v2Mount = root.appending("unified")
        case .legacy: v2Mount = nil
        }
        let v1Lists = mode == .unified ? [] : v1Mounts.filter { list in !list.contains { v2Names.contains($0) } }
        var mounts: [FilePath: [String]] = [:]
        for list in v1Lists { mounts[root.appending(list.joined(separator: ","))] = list }
        self.v1Mounts = mounts

        var lines: [String] = []
        if mode != .unified {
            lines.append("\(v1Lists.count + 1):name=systemd:\(ownPath)")
            for (index, list) in v1Lists.enumerated().reversed() {
                let name = list.joined(separator: ",")
                lines.append("\(index + 1):\(name):\(v1OwnPaths[name] ?? ownPath)")
            }
        }
        if mode != .legacy { lines.append("0::\(ownPath)") }
        self.procSelfCgroup = lines.joined(separator: "\n") + "\n"

        // The hierarchies down to our own cgroups, as the host (not fnbox) made them.
        if let v2Mount {
            let all = v2Names + ["io"]
            try makeHostCgroup(v2Mount, v2: all, subtreeControl: v2Names)
            var directory = v2Mount
            for component in ownPath.split(separator: "/") {
                directory.append(String(component))
                try makeHostCgroup(directory, v2: all, subtreeControl: v2Names)
            }
            try setSubtreeControl(of: directory, to: [])
            try seedProcesses(processesInOwnCgroup, in: directory)
        }
        for list in v1Lists {
            let name = list.joined(separator: ",")
            var directory = root.appending(name)
            try makeHostCgroup(directory, v1: list)
            for component in (v1OwnPaths[name] ?? ownPath).split(separator: "/") {
                directory.append(String(component))
                try makeHostCgroup(directory, v1: list)
            }
            try seedProcesses(processesInOwnCgroup, in: directory)
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root.string)
    }

    /// A `CgroupManager` over this fake.
    public func manager() throws(CgroupError) -> CgroupManager {
        try CgroupManager(root: root, mode: mode, procSelfCgroup: procSelfCgroup, system: self)
    }

    // MARK: inspecting and steering

    /// What a file holds now, or nil if it doesn't exist.
    public func contents(_ path: FilePath) -> String? {
        try? String(contentsOfFile: path.string, encoding: .utf8)
    }

    /// Replaces a file's content directly, as the kernel would update a counter.
    public func setContents(_ path: FilePath, _ text: String) throws {
        try text.write(toFile: path.string, atomically: false, encoding: .utf8)
    }

    /// Every write made through the `CgroupSystem` interface, in order.
    public var writes: [Write] { state.withLock { $0.writes } }
    /// Every pid `kill` was called on, in order.
    public var killedPIDs: [Int32] { state.withLock { $0.kills } }
    /// How often the code under test paused.
    public var sleepCount: Int { state.withLock { $0.sleeps } }

    /// `kill` leaves this pid alive.
    public func makeUnkillable(_ pid: Int32) {
        state.withLock { _ = $0.unkillable.insert(pid) }
    }

    /// The next `times` removals of `directory` fail with EBUSY, as while processes are exiting.
    public func failRemoval(of directory: FilePath, times: Int) {
        state.withLock { $0.busyRemovals[directory] = times }
    }

    /// Every write to a file with this name fails with `errno`.
    public func failWrites(toFilesNamed name: String, with errno: Errno) {
        state.withLock { $0.failingWrites[name] = errno }
    }

    /// Every directory below the root.
    public func allDirectories() -> Set<FilePath> {
        var result = Set<FilePath>()
        guard let enumerator = FileManager.default.enumerator(atPath: root.string) else { return result }
        while let relative = enumerator.nextObject() as? String {
            let path = root.appending(relative)
            if FileIO.isDirectory(path) { result.insert(path) }
        }
        return result
    }

    // MARK: CgroupSystem

    public func readText(_ path: FilePath) throws(SystemCallError) -> String {
        guard FileIO.exists(path) else { throw SystemCallError("open", path: path, errno: .noSuchFileOrDirectory) }
        guard !FileIO.isDirectory(path) else { throw SystemCallError("read", path: path, errno: .isDirectory) }
        return contents(path) ?? ""
    }

    public func writeText(_ path: FilePath, _ text: String) throws(SystemCallError) {
        guard FileIO.exists(path) else { throw SystemCallError("open", path: path, errno: .noSuchFileOrDirectory) }
        guard !FileIO.isDirectory(path) else { throw SystemCallError("open", path: path, errno: .isDirectory) }
        let directory = path.removingLastComponent()
        let fail = { (errno: Errno) in SystemCallError("write", path: path, errno: errno) }
        let injected = state.withLock { state -> Errno? in
            state.writes.append(Write(file: path, value: text))
            return state.failingWrites[path.lastComponent?.string ?? ""]
        }
        if let injected { throw fail(injected) }
        switch path.lastComponent?.string {
        case "cgroup.procs":
            guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw fail(.invalidArgument) }
            if isV2(directory) && directory != v2Mount && !controllerNames(directory.appending("cgroup.subtree_control")).isEmpty {
                throw fail(.resourceBusy)
            }
            guard let mount = mountPoint(of: directory) else { throw fail(.invalidArgument) }
            removeProcess(pid, under: mount)
            addProcess(pid, to: directory)
        case "cgroup.subtree_control" where isV2(directory):
            let available = controllerNames(directory.appending("cgroup.controllers"))
            var enabled = controllerNames(path)
            for token in text.split(separator: " ") {
                let name = String(token.dropFirst())
                guard available.contains(name) else { throw fail(.noSuchFileOrDirectory) }
                if token.hasPrefix("+") { enabled.insert(name) } else if token.hasPrefix("-") { enabled.remove(name) }
                else { throw fail(.invalidArgument) }
            }
            if directory != v2Mount && !pids(in: directory).isEmpty { throw fail(.resourceBusy) }
            store(path, enabled.sorted().joined(separator: " "))
        case "cgroup.kill" where isV2(directory):
            guard text == "1" else { throw fail(.invalidArgument) }
            for pid in pidsRecursively(under: directory) where !state.withLock({ $0.unkillable.contains(pid) }) {
                removeProcess(pid, under: directory)
            }
        case "memory.limit_in_bytes":
            let memsw = directory.appending("memory.memsw.limit_in_bytes")
            if let swap = number(memsw), let value = UInt64(text), value > swap { throw fail(.invalidArgument) }
            store(path, text)
        case "memory.memsw.limit_in_bytes":
            if let limit = number(directory.appending("memory.limit_in_bytes")), let value = UInt64(text), value < limit {
                throw fail(.invalidArgument)
            }
            store(path, text)
        default:
            store(path, text)
        }
    }

    public func makeDirectory(_ path: FilePath) throws(SystemCallError) {
        guard !FileIO.exists(path) else { throw SystemCallError("mkdir", path: path, errno: .fileExists) }
        let parent = path.removingLastComponent()
        guard FileIO.isDirectory(parent) else { throw SystemCallError("mkdir", path: path, errno: .noSuchFileOrDirectory) }
        do {
            if isV2(path) {
                let enabled = controllerNames(parent.appending("cgroup.subtree_control"))
                try populateV2(path, controllers: CgroupController.allCases.map(\.rawValue).filter { enabled.contains($0) })
            } else if let mount = mountPoint(of: path), let list = v1Mounts[mount] {
                try populateV1(path, controllers: list)
            } else {
                throw SystemCallError("mkdir", path: path, errno: .permissionDenied)
            }
        } catch let error as SystemCallError {
            throw error
        } catch {
            throw SystemCallError("mkdir", path: path, errno: .ioError)
        }
    }

    public func removeDirectory(_ path: FilePath) throws(SystemCallError) {
        let fail = { (errno: Errno) in SystemCallError("rmdir", path: path, errno: errno) }
        guard FileIO.isDirectory(path) else { throw fail(.noSuchFileOrDirectory) }
        let busy = state.withLock { state -> Bool in
            guard let remaining = state.busyRemovals[path], remaining > 0 else { return false }
            state.busyRemovals[path] = remaining - 1
            return true
        }
        if busy { throw fail(.resourceBusy) }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path.string)) ?? []
        if entries.contains(where: { FileIO.isDirectory(path.appending($0)) }) || !pids(in: path).isEmpty {
            throw fail(.resourceBusy)
        }
        do {
            try FileManager.default.removeItem(atPath: path.string)
        } catch {
            throw fail(.ioError)
        }
    }

    public func exists(_ path: FilePath) -> Bool { FileIO.exists(path) }

    public func isDirectory(_ path: FilePath) -> Bool { FileIO.isDirectory(path) }

    public func kill(_ pid: Int32) throws(SystemCallError) {
        let survives = state.withLock { state -> Bool in
            state.kills.append(pid)
            return state.unkillable.contains(pid)
        }
        guard pidsRecursively(under: root).contains(pid) else {
            throw SystemCallError("kill", errno: .noSuchProcess)
        }
        if !survives { removeProcess(pid, under: root) }
    }

    public func sleep(_ duration: Duration) {
        state.withLock { $0.sleeps += 1 }
    }

    // MARK: the fake kernel

    private func isV2(_ path: FilePath) -> Bool {
        guard let v2Mount else { return false }
        return mountPoint(of: path) == v2Mount
    }

    /// The hierarchy `path` belongs to: a v1 mount, else the v2 mount.
    private func mountPoint(of path: FilePath) -> FilePath? {
        if let v1 = v1Mounts.keys.first(where: { path.starts(with: $0) }) { return v1 }
        if let v2Mount, path.starts(with: v2Mount) { return v2Mount }
        return nil
    }

    private func makeHostCgroup(_ directory: FilePath, v2 available: [String], subtreeControl: [String]) throws {
        if !FileIO.isDirectory(directory) {
            try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: false)
        }
        try populateV2(directory, controllers: available.filter { CgroupController(rawValue: $0) != nil })
        store(directory.appending("cgroup.controllers"), available.joined(separator: " "))
        try setSubtreeControl(of: directory, to: subtreeControl)
    }

    private func makeHostCgroup(_ directory: FilePath, v1 controllers: [String]) throws {
        if !FileIO.isDirectory(directory) {
            try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: false)
        }
        try populateV1(directory, controllers: controllers)
    }

    private func setSubtreeControl(of directory: FilePath, to controllers: [String]) throws {
        store(directory.appending("cgroup.subtree_control"), controllers.joined(separator: " "))
    }

    private func seedProcesses(_ pids: [Int32], in directory: FilePath) throws {
        for pid in pids { addProcess(pid, to: directory) }
    }

    private func populateV1(_ directory: FilePath, controllers: [String]) throws {
        if !FileIO.isDirectory(directory) {
            try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: false)
        }
        var files: [String: String] = [
            "cgroup.procs": "", "tasks": "", "notify_on_release": "0\n", "cgroup.clone_children": "0\n",
        ]
        if controllers.contains("memory") {
            files["memory.limit_in_bytes"] = "9223372036854771712\n"
            if swapFiles { files["memory.memsw.limit_in_bytes"] = "9223372036854771712\n" }
            files["memory.usage_in_bytes"] = "0\n"
            files["memory.max_usage_in_bytes"] = "0\n"
            files["memory.oom_control"] = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"
        }
        if controllers.contains("cpu") {
            files["cpu.cfs_period_us"] = "100000\n"
            files["cpu.cfs_quota_us"] = "-1\n"
            files["cpu.shares"] = "1024\n"
            files["cpu.stat"] = "nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n"
        }
        if controllers.contains("pids") {
            files["pids.max"] = "max\n"
            files["pids.current"] = "0\n"
        }
        for (name, text) in files { store(directory.appending(name), text) }
    }

    private func populateV2(_ directory: FilePath, controllers: [String]) throws {
        if !FileIO.isDirectory(directory) {
            try FileManager.default.createDirectory(atPath: directory.string, withIntermediateDirectories: false)
        }
        var files: [String: String] = [
            "cgroup.procs": "", "cgroup.controllers": controllers.joined(separator: " "),
            "cgroup.subtree_control": "", "cgroup.events": "populated 0\nfrozen 0\n",
            "cpu.stat": "usage_usec 0\nuser_usec 0\nsystem_usec 0\n",
        ]
        if cgroupKill { files["cgroup.kill"] = "" }
        if controllers.contains("memory") {
            files["memory.max"] = "max\n"
            if swapFiles { files["memory.swap.max"] = "max\n" }
            files["memory.current"] = "0\n"
            files["memory.peak"] = "0\n"
            files["memory.events"] = "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"
        }
        if controllers.contains("cpu") {
            files["cpu.max"] = "max 100000\n"
            files["cpu.weight"] = "100\n"
            files["cpu.stat", default: ""] += "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n"
        }
        if controllers.contains("pids") {
            files["pids.max"] = "max\n"
            files["pids.current"] = "0\n"
        }
        for (name, text) in files { store(directory.appending(name), text) }
    }

    private func store(_ path: FilePath, _ text: String) {
        _ = FileManager.default.createFile(atPath: path.string, contents: Data(text.utf8))
    }

    private func number(_ path: FilePath) -> UInt64? {
        contents(path).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private func controllerNames(_ path: FilePath) -> Set<String> {
        Set((contents(path) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }

    private func pids(in directory: FilePath) -> [Int32] {
        pids(inDirectory: directory.string)
    }

    private func pids(inDirectory directory: String) -> [Int32] {
        let text = (try? String(contentsOfFile: directory + "/cgroup.procs", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    private func addProcess(_ pid: Int32, to directory: FilePath) {
        store(directory.appending("cgroup.procs"), (pids(in: directory) + [pid]).map { "\($0)\n" }.joined())
    }

    /// `directory` and every directory below it. Plain strings: debug builds of FilePath's
    /// `append` check invariants on every call, which made the SIGKILL-loop tests take seconds.
    private func cgroupDirectories(under directory: String) -> [String] {
        var result = [directory]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for entry in entries.sorted() {
            var isDirectory: ObjCBool = false
            let path = directory + "/" + entry
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                result += cgroupDirectories(under: path)
            }
        }
        return result
    }

    private func pidsRecursively(under directory: FilePath) -> [Int32] {
        cgroupDirectories(under: directory.string).flatMap { pids(inDirectory: $0) }
    }

    /// The process leaves every cgroup below `directory` (it moved, or exited).
    private func removeProcess(_ pid: Int32, under directory: FilePath) {
        for cgroup in cgroupDirectories(under: directory.string) {
            let before = pids(inDirectory: cgroup)
            guard before.contains(pid) else { continue }
            let text = before.filter { $0 != pid }.map { "\($0)\n" }.joined()
            _ = FileManager.default.createFile(atPath: cgroup + "/cgroup.procs", contents: Data(text.utf8))
        }
    }
}
