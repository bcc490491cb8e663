import FnboxCgroups
import FnboxSystem
import FnboxTestSupport
import Foundation
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Real cgroups on this host, checked from outside through the cgroup files and `/proc`.
/// Serialized: they share the host's `fnbox` parents and there are only two cores.
@Suite("Cgroups on this host", .requiresRoot, .serialized, .timeLimit(.minutes(1)))
struct HostCgroupTests {
    static let limits = CgroupLimits(memoryBytes: 64 << 20, cpu: CPUQuota(cpus: 0.5), pidsMax: 16)

    @Test("detection finds a hierarchy for cpu, memory and pids, each below our own cgroup")
    func detection() throws {
        let manager = try CgroupManager.detect()
        #expect(manager.unavailableControllers == [])
        let membership = try ProcSelfCgroup(parsing: FileIO.readText("/proc/self/cgroup"))
        for controller in CgroupController.allCases {
            let driver = try #require(manager.driver(for: controller))
            let path = driver.version == .v1 ? membership.v1Entry(for: controller)?.path : membership.v2Path
            var own = try #require(path)
            // On v2 an earlier test may have moved this process into fnbox-self; sandboxes go beside it.
            if driver.version == .v2 && own.hasSuffix("/fnbox-self") { own.removeLast("/fnbox-self".count) }
            #expect(driver.ownCgroup.string == driver.mountPoint.string + (own == "/" ? "" : own))
        }
        #expect(manager.layoutDescription.contains("memory: v"))
    }

    @Test("a sandbox cgroup carries its limits, holds a process, and is gone after killAll and remove")
    func lifecycle() throws {
        let manager = try CgroupManager.detect()
        let sandbox = try manager.createSandboxCgroup(name: Self.uniqueName("life"), limits: Self.limits)
        let sleeper = Self.sleeper()
        defer { Self.cleanUp(sandbox, sleeper) }

        for member in sandbox.members {
            for (file, value) in Self.expectedLimitFiles(member.driver) {
                #expect(try Self.read(member.directory.appending(file)) == value, "\(member.directory)/\(file)")
            }
        }
        if manager.drivers.contains(where: { $0.version == .v1 }) {
            #expect(sandbox.unifiedDirectory == nil)
        }

        try sleeper.run()
        let pid = sleeper.processIdentifier
        for file in sandbox.procsFiles { try FileIO.writeText(file, String(pid)) }
        #expect(try sandbox.processIDs() == [pid])
        #expect(try sandbox.pidsCurrent() == 1)
        // From outside: the kernel places the process in our leaf in every hierarchy.
        let membership = try ProcSelfCgroup(parsing: FileIO.readText(FilePath("/proc/\(pid)/cgroup")))
        for member in sandbox.members {
            let path = member.driver.version == .v2 ? membership.v2Path : membership.v1Entry(for: member.driver.controllers[0])?.path
            #expect(path.map { member.driver.mountPoint.string + $0 } == member.directory.string)
        }

        try sandbox.setCPUQuota(nil)
        try sandbox.setCPUQuota(CPUQuota(cpus: 0.25))
        if let cpu = sandbox.members.first(where: { $0.driver.controllers.contains(.cpu) }) {
            let file = cpu.driver.version == .v2 ? "cpu.max" : "cpu.cfs_quota_us"
            #expect(try Self.read(cpu.directory.appending(file)) == (cpu.driver.version == .v2 ? "25000 100000" : "25000"))
        }

        try sandbox.killAll()
        #expect(try sandbox.processIDs() == [])
        sleeper.waitUntilExit()
        #expect(sleeper.terminationReason == .uncaughtSignal)
        #expect(sleeper.terminationStatus == SIGKILL)

        try sandbox.remove()
        for path in sandbox.paths {
            #expect(!FileIO.exists(path), "\(path) is left behind")
        }
    }

    @Test("a process allocating past the memory limit is OOM-killed, counted, and peaks near the limit")
    func oomKill() throws {
        let manager = try CgroupManager.detect()
        let limit: UInt64 = 64 << 20
        let sandbox = try manager.createSandboxCgroup(
            name: Self.uniqueName("oom"), limits: CgroupLimits(memoryBytes: limit, pidsMax: 16))
        // The shell waits for a line on stdin, so python starts only once it is in the cgroup.
        let (hog, go) = Self.gatedProcess("exec /usr/bin/python3 -c 'b = bytearray(200 << 20)'")
        defer { Self.cleanUp(sandbox, hog) }

        try hog.run()
        for file in sandbox.procsFiles { try FileIO.writeText(file, String(hog.processIdentifier)) }
        try go.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
        try go.fileHandleForWriting.close()
        hog.waitUntilExit()

        #expect(hog.terminationReason == .uncaughtSignal)
        #expect(hog.terminationStatus == SIGKILL)
        #expect(try sandbox.oomKillCount() >= 1)
        let peak = try sandbox.memoryPeakBytes()
        #expect(peak >= limit * 8 / 10 && peak <= limit + (1 << 20), "peak \(peak) bytes for a \(limit)-byte limit")
        try sandbox.remove()
        #expect(sandbox.paths.allSatisfy { !FileIO.exists($0) })
    }

    @Test("a CPU-bound process under a 0.1 CPU quota is throttled")
    func cpuThrottling() throws {
        let manager = try CgroupManager.detect()
        let sandbox = try manager.createSandboxCgroup(
            name: Self.uniqueName("cpu"), limits: CgroupLimits(cpu: CPUQuota(cpus: 0.1), pidsMax: 16))
        let (spinner, go) = Self.gatedProcess("exec /usr/bin/python3 -c 'while True: pass'")
        defer { Self.cleanUp(sandbox, spinner) }

        // A new v1 cgroup's counters are not always zero (seen once in CI), so compare deltas.
        let before = try sandbox.cpuThrottling()
        try spinner.run()
        for file in sandbox.procsFiles { try FileIO.writeText(file, String(spinner.processIdentifier)) }
        try go.fileHandleForWriting.write(contentsOf: Data("go\n".utf8))
        usleep(800_000)
        let after = try sandbox.cpuThrottling()
        #expect(after.periods > before.periods)
        #expect(after.throttledPeriods > before.throttledPeriods)
        #expect(after.throttledMicros > before.throttledMicros)
        try sandbox.killAll()
        spinner.waitUntilExit()
        try sandbox.remove()
    }

    // The twin of `lifecycle` for pure v2 hosts.
    @Test(
        "on a pure v2 host a sandbox is one leaf for CLONE_INTO_CGROUP, and cgroup.kill empties it",
        .requiresCgroupV2()
    )
    func pureV2() throws {
        let manager = try CgroupManager.detect()
        let sandbox = try manager.createSandboxCgroup(name: Self.uniqueName("v2"), limits: Self.limits)
        let sleeper = Self.sleeper()
        defer { Self.cleanUp(sandbox, sleeper) }

        let leaf = try #require(sandbox.unifiedDirectory)
        #expect(sandbox.paths == [leaf])
        #expect(sandbox.procsFiles == [leaf.appending("cgroup.procs")])
        #expect(try Self.read(leaf.appending("cpu.max")) == "50000 100000")
        #expect(try Self.read(leaf.appending("memory.max")) == "67108864")
        #expect(try Self.read(leaf.appending("pids.max")) == "16")
        // No swap beside the limit (the file exists when the kernel has swap accounting).
        if FileIO.exists(leaf.appending("memory.swap.max")) {
            #expect(try Self.read(leaf.appending("memory.swap.max")) == "0")
        }
        // Linux 5.14+: killAll below ends the sandbox with one write here, not the pid loop.
        #expect(FileIO.exists(leaf.appending("cgroup.kill")))
        try sleeper.run()
        try FileIO.writeText(leaf.appending("cgroup.procs"), String(sleeper.processIdentifier))
        #expect(try sandbox.processIDs() == [sleeper.processIdentifier])
        try sandbox.killAll()
        sleeper.waitUntilExit()
        #expect(sleeper.terminationStatus == SIGKILL)
        try sandbox.remove()
        #expect(!FileIO.exists(leaf))
    }

    // The kernel's "no internal processes" rule, on the real thing. In the guest this process
    // starts as the only one in a systemd-like service cgroup (scripts/test-cgroup2 runs it in
    // /system.slice/fnboxd.service), so enabling controllers there needs the move to a leaf.
    @Test(
        "on a pure v2 host our own cgroup ends up with +cpu +memory +pids for its children and no process of its own",
        .requiresCgroupV2()
    )
    func noInternalProcesses() throws {
        let manager = try CgroupManager.detect()
        let sandbox = try manager.createSandboxCgroup(name: Self.uniqueName("nip"), limits: Self.limits)
        defer { try? sandbox.remove() }
        let driver = try #require(manager.driver(for: .memory))
        let own = driver.ownCgroup
        let enabled = try Self.read(own.appending("cgroup.subtree_control")).split(separator: " ").map(String.init)
        #expect(Set(["cpu", "memory", "pids"]).isSubset(of: enabled), "\(own)/cgroup.subtree_control: \(enabled)")
        let parentEnabled = try Self.read(own.appending("fnbox/cgroup.subtree_control")).split(separator: " ").map(String.init)
        #expect(Set(["cpu", "memory", "pids"]).isSubset(of: parentEnabled))
        let membership = try ProcSelfCgroup(parsing: FileIO.readText("/proc/self/cgroup"))
        let ownPath = try #require(membership.v2Path)
        if own == driver.mountPoint {
            // The root cgroup is exempt from the rule (a container with a cgroup namespace): we stay.
            #expect(ownPath == "/")
        } else {
            // Moved into the leaf beside the sandboxes, leaving our own cgroup empty.
            #expect(driver.mountPoint.string + ownPath == own.appending("fnbox-self").string)
            #expect(try Self.read(own.appending("cgroup.procs")) == "")
        }
        try sandbox.remove()
        #expect(!FileIO.exists(own.appending("fnbox")), "the fnbox parent outlives its last sandbox")
    }

    // MARK: helpers

    static func uniqueName(_ what: String) -> String {
        "test-\(what)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    static func read(_ file: FilePath) throws -> String {
        try FileIO.readText(file).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The limit files and values `limits` should produce in a driver's leaf.
    static func expectedLimitFiles(_ driver: any CgroupDriver) -> [(String, String)] {
        var files: [(String, String)] = []
        for controller in driver.controllers {
            switch (controller, driver.version) {
            case (.memory, .v1):
                files.append(("memory.limit_in_bytes", "67108864"))
                if FileIO.exists(driver.ownCgroup.appending("memory.memsw.limit_in_bytes")) {
                    files.append(("memory.memsw.limit_in_bytes", "67108864"))
                }
            case (.memory, .v2):
                files.append(("memory.max", "67108864"))
            case (.cpu, .v1):
                files += [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", "50000")]
            case (.cpu, .v2):
                files.append(("cpu.max", "50000 100000"))
            case (.pids, _):
                files.append(("pids.max", "16"))
            }
        }
        return files
    }

    /// `/bin/sleep 30`, not yet started.
    static func sleeper() -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["30"]
        return process
    }

    /// `/bin/sh` that runs `command` once it reads a line from the returned pipe.
    static func gatedProcess(_ command: String) -> (Process, Pipe) {
        let process = Process()
        let go = Pipe()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "read go; \(command)"]
        process.standardInput = go
        return (process, go)
    }

    /// Runs even when an expectation failed: no process or cgroup outlives the test.
    static func cleanUp(_ sandbox: SandboxCgroup, _ process: Process) {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? sandbox.killAll()
        try? sandbox.remove()
    }
}
