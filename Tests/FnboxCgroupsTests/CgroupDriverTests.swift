import FnboxCgroups
import FnboxSystem
import FnboxTestSupport
import SystemPackage
import Testing

/// The drivers against `FakeCgroupFS`: exact file contents, the per-controller choice, nesting
/// below our own cgroups, v2's "no internal processes" handling, killing and cleanup.
@Suite("Cgroup drivers on a fake cgroupfs")
struct CgroupDriverTests {
    static let limits = CgroupLimits(memoryBytes: 64 << 20, cpu: CPUQuota(cpus: 0.5), pidsMax: 32)
    static let memoryOwn = "/process_api/30718cc80c0c6dd2f8d956b3272745de"

    /// This host: hybrid, the unified hierarchy without cpu/memory/pids, memory nested under process_api.
    static func hybridLikeThisHost(swapFiles: Bool = true) throws -> FakeCgroupFS {
        try FakeCgroupFS(mode: .hybrid, v2Controllers: [], v1OwnPaths: ["memory": memoryOwn], swapFiles: swapFiles)
    }

    func text(_ fake: FakeCgroupFS, _ path: FilePath) -> String? {
        fake.contents(path)?.trimmingSuffixNewline()
    }

    // MARK: choosing hierarchies

    @Test("on a hybrid host whose unified hierarchy lacks them, cpu, memory and pids all use v1")
    func hybridUsesV1() throws {
        let fake = try Self.hybridLikeThisHost()
        let manager = try fake.manager()
        #expect(manager.drivers.map(\.version) == [.v1, .v1, .v1])
        #expect(manager.driver(for: .memory)?.ownCgroup == fake.root.appending("memory/process_api/30718cc80c0c6dd2f8d956b3272745de"))
        #expect(manager.driver(for: .cpu)?.ownCgroup == fake.root.appending("cpu"))
        #expect(manager.driver(for: .pids)?.ownCgroup == fake.root.appending("pids"))
        let root = fake.root.string
        #expect(manager.layoutDescription == "cpu: v1 \(root)/cpu, memory: v1 \(root)/memory\(Self.memoryOwn), pids: v1 \(root)/pids (hybrid host; unified hierarchy lacks cpu, memory, pids)")
    }

    @Test("on a hybrid host each controller the unified hierarchy has uses v2, the rest v1")
    func hybridMixesVersions() throws {
        let fake = try FakeCgroupFS(mode: .hybrid, v2Controllers: [.memory, .pids], ownPath: "/app")
        let manager = try fake.manager()
        #expect(manager.driver(for: .memory)?.version == .v2)
        #expect(manager.driver(for: .pids)?.version == .v2)
        #expect(manager.driver(for: .cpu)?.version == .v1)
        #expect(manager.driver(for: .memory)?.ownCgroup == fake.root.appending("unified/app"))
        #expect(manager.driver(for: .cpu)?.ownCgroup == fake.root.appending("cpu/app"))

        let sandbox = try manager.createSandboxCgroup(name: "f1", limits: Self.limits)
        let v2Leaf = fake.root.appending("unified/app/fnbox/f1")
        let v1Leaf = fake.root.appending("cpu/app/fnbox/f1")
        #expect(sandbox.paths == [v2Leaf, v1Leaf])
        #expect(sandbox.procsFiles == [v2Leaf.appending("cgroup.procs"), v1Leaf.appending("cgroup.procs")])
        #expect(sandbox.unifiedDirectory == nil)
        #expect(text(fake, v2Leaf.appending("memory.max")) == "67108864")
        #expect(text(fake, v2Leaf.appending("memory.swap.max")) == "0")
        #expect(text(fake, v2Leaf.appending("pids.max")) == "32")
        #expect(text(fake, v1Leaf.appending("cpu.cfs_quota_us")) == "50000")
        // Only the controllers v2 serves are enabled there; cpu never is.
        #expect(text(fake, fake.root.appending("unified/app/cgroup.subtree_control")) == "memory pids")
        #expect(text(fake, fake.root.appending("unified/app/fnbox/cgroup.subtree_control")) == "memory pids")
        #expect(!fake.writes.contains { $0.value.contains("+cpu") })
    }

    @Test("co-mounted cpu,cpuacct is found under its joined name")
    func coMountedCPU() throws {
        let fake = try FakeCgroupFS(mode: .legacy, v1Mounts: [["cpu", "cpuacct"], ["memory"], ["pids"]])
        let manager = try fake.manager()
        #expect(manager.driver(for: .cpu)?.mountPoint == fake.root.appending("cpu,cpuacct"))
        let sandbox = try manager.createSandboxCgroup(name: "f1", limits: Self.limits)
        #expect(text(fake, fake.root.appending("cpu,cpuacct/fnbox/f1/cpu.cfs_quota_us")) == "50000")
        #expect(manager.layoutDescription.hasSuffix("(legacy host)"))
        try sandbox.remove()
    }

    @Test("a controller no hierarchy serves is 'unavailable', and a limit that needs it is refused")
    func unavailableController() throws {
        let fake = try FakeCgroupFS(mode: .unified, v2Controllers: [.memory, .pids])
        let manager = try fake.manager()
        #expect(manager.unavailableControllers == [.cpu])
        #expect(manager.layoutDescription.hasPrefix("cpu: unavailable, memory: v2 "))
        #expect(manager.layoutDescription.hasSuffix("(unified host; unified hierarchy lacks cpu)"))
        #expect(throws: CgroupError.self) {
            _ = try manager.createSandboxCgroup(name: "f1", limits: Self.limits)
        }
        let before = fake.allDirectories()
        let sandbox = try manager.createSandboxCgroup(name: "f1", limits: CgroupLimits(memoryBytes: 1 << 20))
        #expect(sandbox.unifiedDirectory == fake.root.appending("fnbox/f1"))
        #expect {
            try sandbox.setCPUQuota(nil)
        } throws: { error in
            guard case .controllerUnavailable(.cpu) = error as? CgroupError else { return false }
            return true
        }
        try sandbox.remove()
        #expect(fake.allDirectories() == before)
    }

    @Test("a unified host without a 0:: line, or with our cgroup missing, is an error")
    func unifiedInputErrors() throws {
        let fake = try FakeCgroupFS(mode: .unified)
        #expect {
            _ = try CgroupManager(root: fake.root, mode: .unified, procSelfCgroup: "1:name=systemd:/\n", system: fake)
        } throws: { error in
            guard case .missingUnifiedEntry = error as? CgroupError else { return false }
            return true
        }
        #expect {
            _ = try CgroupManager(root: fake.root, mode: .unified, procSelfCgroup: "0::/not/here\n", system: fake)
        } throws: { error in
            guard case .ownCgroupNotFound(let directory) = error as? CgroupError else { return false }
            return directory == fake.root.appending("not/here")
        }
    }

    // MARK: limits

    @Test("v1 limits land in memory.limit_in_bytes, memsw, cfs period then quota, and pids.max")
    func v1Limits() throws {
        let fake = try Self.hybridLikeThisHost()
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        let memory = fake.root.appending("memory\(Self.memoryOwn)/fnbox/f1")
        let cpu = fake.root.appending("cpu/fnbox/f1")
        let pids = fake.root.appending("pids/fnbox/f1")
        #expect(sandbox.paths == [cpu, memory, pids])
        #expect(Set(sandbox.procsFiles).count == 3)
        #expect(sandbox.unifiedDirectory == nil)
        #expect(text(fake, memory.appending("memory.limit_in_bytes")) == "67108864")
        #expect(text(fake, memory.appending("memory.memsw.limit_in_bytes")) == "67108864")
        #expect(text(fake, cpu.appending("cpu.cfs_period_us")) == "100000")
        #expect(text(fake, cpu.appending("cpu.cfs_quota_us")) == "50000")
        #expect(text(fake, pids.appending("pids.max")) == "32")
        let order = fake.writes.map { $0.file.lastComponent?.string ?? "" }
        #expect(order == ["cpu.cfs_period_us", "cpu.cfs_quota_us", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "pids.max"])

        try sandbox.setCPUQuota(nil)
        #expect(text(fake, cpu.appending("cpu.cfs_quota_us")) == "-1")
        try sandbox.setCPUQuota(CPUQuota(quotaMicros: 20_000, periodMicros: 50_000))
        #expect(text(fake, cpu.appending("cpu.cfs_period_us")) == "50000")
        #expect(text(fake, cpu.appending("cpu.cfs_quota_us")) == "20000")
    }

    @Test("v1 without swap accounting sets only memory.limit_in_bytes")
    func v1WithoutMemsw() throws {
        let fake = try Self.hybridLikeThisHost(swapFiles: false)
        _ = try fake.manager().createSandboxCgroup(name: "f1", limits: CgroupLimits(memoryBytes: 1 << 30))
        #expect(fake.writes.map(\.description) == ["memory.limit_in_bytes = 1073741824"])
    }

    @Test("v2 limits land in memory.max, memory.swap.max, cpu.max and pids.max")
    func v2Limits() throws {
        let fake = try FakeCgroupFS(mode: .unified, ownPath: "/system.slice/fnboxd.service")
        let manager = try fake.manager()
        let own = fake.root.appending("system.slice/fnboxd.service").string
        #expect(manager.layoutDescription == "cpu: v2 \(own), memory: v2 \(own), pids: v2 \(own) (unified host; sandboxes start in their cgroup with CLONE_INTO_CGROUP)")
        let sandbox = try manager.createSandboxCgroup(name: "f1", limits: Self.limits)
        let leaf = fake.root.appending("system.slice/fnboxd.service/fnbox/f1")
        #expect(sandbox.paths == [leaf])
        #expect(sandbox.unifiedDirectory == leaf)
        #expect(sandbox.procsFiles == [leaf.appending("cgroup.procs")])
        #expect(text(fake, leaf.appending("memory.max")) == "67108864")
        #expect(text(fake, leaf.appending("memory.swap.max")) == "0")
        #expect(text(fake, leaf.appending("cpu.max")) == "50000 100000")
        #expect(text(fake, leaf.appending("pids.max")) == "32")
        try sandbox.setCPUQuota(nil)
        #expect(text(fake, leaf.appending("cpu.max")) == "max 100000")
        try sandbox.setCPUQuota(CPUQuota(cpus: 1.5))
        #expect(text(fake, leaf.appending("cpu.max")) == "150000 100000")
    }

    @Test("nil limits leave every file at the kernel's default")
    func noLimits() throws {
        let fake = try FakeCgroupFS(mode: .unified)
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: CgroupLimits())
        #expect(text(fake, fake.root.appending("fnbox/f1/memory.max")) == "max")
        #expect(fake.writes.allSatisfy { $0.file.lastComponent?.string == "cgroup.subtree_control" })
        try sandbox.remove()
    }

    @Test("invalid limits are refused before anything is created", arguments: [
        CgroupLimits(memoryBytes: 0),
        CgroupLimits(cpu: CPUQuota(quotaMicros: 999, periodMicros: 100_000)),
        CgroupLimits(cpu: CPUQuota(quotaMicros: 50_000, periodMicros: 2_000_000)),
        CgroupLimits(pidsMax: 0),
    ])
    func invalidLimits(limits: CgroupLimits) throws {
        let fake = try Self.hybridLikeThisHost()
        let before = fake.allDirectories()
        #expect(throws: CgroupError.self) {
            _ = try fake.manager().createSandboxCgroup(name: "f1", limits: limits)
        }
        #expect(fake.allDirectories() == before)
    }

    @Test("names that are not one path component are refused", arguments: ["", ".", "..", "a/b", "/abs"])
    func invalidNames(name: String) throws {
        let fake = try Self.hybridLikeThisHost()
        let before = fake.allDirectories()
        #expect {
            _ = try fake.manager().createSandboxCgroup(name: name, limits: Self.limits)
        } throws: { error in
            guard case .invalidName(let bad) = error as? CgroupError else { return false }
            return bad == name
        }
        #expect(fake.allDirectories() == before)
    }

    @Test("a failed write while applying limits names the file and errno and removes what was created")
    func failedWriteRollsBack() throws {
        let fake = try Self.hybridLikeThisHost()
        fake.failWrites(toFilesNamed: "pids.max", with: .invalidArgument)
        let before = fake.allDirectories()
        #expect {
            _ = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        } throws: { error in
            guard case .writeFailed(let file, let value, let cause) = error as? CgroupError else { return false }
            return file == fake.root.appending("pids/fnbox/f1/pids.max") && value == "32"
                && cause.errno == .invalidArgument && cause.path == file
        }
        #expect(fake.allDirectories() == before)
    }

    @Test("a name in use is reported, not reused")
    func alreadyExists() throws {
        let fake = try FakeCgroupFS(mode: .unified)
        let manager = try fake.manager()
        let first = try manager.createSandboxCgroup(name: "f1", limits: Self.limits)
        #expect {
            _ = try manager.createSandboxCgroup(name: "f1", limits: Self.limits)
        } throws: { error in
            guard case .alreadyExists(let directory) = error as? CgroupError else { return false }
            return directory == fake.root.appending("fnbox/f1")
        }
        #expect(fake.contents(fake.root.appending("fnbox/f1/memory.max")) != nil)
        try first.remove()
    }

    // MARK: v2's "no internal processes" rule

    @Test("when our own v2 cgroup holds this process, it moves into fnbox-self and enables the controllers")
    func movesSelfIntoLeaf() throws {
        let fake = try FakeCgroupFS(mode: .unified, ownPath: "/user.slice/session.scope", processesInOwnCgroup: [4242])
        let own = fake.root.appending("user.slice/session.scope")
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        #expect(text(fake, own.appending("cgroup.procs")) == "")
        #expect(text(fake, own.appending("fnbox-self/cgroup.procs")) == "4242")
        #expect(text(fake, own.appending("cgroup.subtree_control")) == "cpu memory pids")
        #expect(text(fake, own.appending("fnbox/f1/cpu.max")) == "50000 100000")
        // The first write hit EBUSY, the move followed, then the write again.
        #expect(fake.writes.prefix(3).map(\.description) == [
            "cgroup.subtree_control = +cpu +memory +pids", "cgroup.procs = 4242", "cgroup.subtree_control = +cpu +memory +pids",
        ])

        // A later run inside fnbox-self still nests beside it, not below it.
        let again = try CgroupManager(root: fake.root, mode: .unified, procSelfCgroup: "0::/user.slice/session.scope/fnbox-self\n", system: fake)
        #expect(again.driver(for: .memory)?.ownCgroup == own)
        let second = try again.createSandboxCgroup(name: "f2", limits: Self.limits)
        #expect(second.paths == [own.appending("fnbox/f2")])
        try sandbox.remove()
        try second.remove()
        #expect(!fake.exists(own.appending("fnbox")))
    }

    @Test("another process in our own v2 cgroup is reported as ownCgroupBusy with EBUSY")
    func otherProcessesBlock() throws {
        let fake = try FakeCgroupFS(mode: .unified, ownPath: "/user.slice/session.scope", processesInOwnCgroup: [4242, 777])
        #expect {
            _ = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        } throws: { error in
            guard case .ownCgroupBusy(let directory, let cause) = error as? CgroupError else { return false }
            return directory == fake.root.appending("user.slice/session.scope") && cause.errno == .resourceBusy
        }
        #expect(!fake.exists(fake.root.appending("user.slice/session.scope/fnbox")))
    }

    @Test("our own cgroup at the v2 root needs no move: the root is exempt")
    func rootIsExempt() throws {
        let fake = try FakeCgroupFS(mode: .unified, ownPath: "/", processesInOwnCgroup: [4242])
        _ = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        #expect(!fake.exists(fake.root.appending("fnbox-self")))
        #expect(text(fake, fake.root.appending("cgroup.procs")) == "4242")
    }

    // MARK: usage

    @Test("v2 usage comes from memory.peak, memory.current, memory.events, cpu.stat and pids.current")
    func v2Usage() throws {
        let fake = try FakeCgroupFS(mode: .unified)
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        let leaf = fake.root.appending("fnbox/f1")
        try fake.setContents(leaf.appending("memory.peak"), "67100000\n")
        try fake.setContents(leaf.appending("memory.current"), "1234\n")
        try fake.setContents(leaf.appending("memory.events"), "low 0\nhigh 0\nmax 40\noom 2\noom_kill 1\noom_group_kill 0\n")
        try fake.setContents(leaf.appending("cpu.stat"), "usage_usec 10\nuser_usec 5\nsystem_usec 5\nnr_periods 20\nnr_throttled 6\nthrottled_usec 7000\n")
        try fake.setContents(leaf.appending("pids.current"), "3\n")
        #expect(try sandbox.memoryPeakBytes() == 67_100_000)
        #expect(try sandbox.memoryCurrentBytes() == 1234)
        #expect(try sandbox.oomKillCount() == 1)
        let throttling = try sandbox.cpuThrottling()
        #expect([throttling.periods, throttling.throttledPeriods, throttling.throttledMicros] == [20, 6, 7000])
        #expect(try sandbox.pidsCurrent() == 3)
    }

    @Test("v1 usage comes from max_usage_in_bytes, usage_in_bytes, oom_control, cpu.stat (ns) and pids.current")
    func v1Usage() throws {
        let fake = try Self.hybridLikeThisHost()
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        let memory = fake.root.appending("memory\(Self.memoryOwn)/fnbox/f1")
        try fake.setContents(memory.appending("memory.max_usage_in_bytes"), "67108864\n")
        try fake.setContents(memory.appending("memory.usage_in_bytes"), "4096\n")
        try fake.setContents(memory.appending("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
        try fake.setContents(fake.root.appending("cpu/fnbox/f1/cpu.stat"), "nr_periods 20\nnr_throttled 6\nthrottled_time 7000123\n")
        try fake.setContents(fake.root.appending("pids/fnbox/f1/pids.current"), "5\n")
        #expect(try sandbox.memoryPeakBytes() == 67_108_864)
        #expect(try sandbox.memoryCurrentBytes() == 4096)
        #expect(try sandbox.oomKillCount() == 2)
        let throttling = try sandbox.cpuThrottling()
        #expect([throttling.periods, throttling.throttledPeriods, throttling.throttledMicros] == [20, 6, 7000])
        #expect(try sandbox.pidsCurrent() == 5)
    }

    @Test("an unexpected file content is reported with the file and what was expected")
    func malformedUsage() throws {
        let fake = try Self.hybridLikeThisHost()
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        let file = fake.root.appending("memory\(Self.memoryOwn)/fnbox/f1/memory.oom_control")
        try fake.setContents(file, "oom_kill_disable 0\nunder_oom 0\n")
        #expect {
            _ = try sandbox.oomKillCount()
        } throws: { error in
            guard case .malformedFile(let bad, _, _) = error as? CgroupError else { return false }
            return bad == file
        }
    }

    // MARK: processes

    @Test("on v1, killAll SIGKILLs each pid in cgroup.procs until none is left")
    func v1KillAll() throws {
        let fake = try Self.hybridLikeThisHost()
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        for pid: Int32 in [101, 102] {
            for file in sandbox.procsFiles { try fake.writeText(file, "\(pid)") }
        }
        #expect(try sandbox.processIDs() == [101, 102])
        try sandbox.killAll()
        #expect(try sandbox.processIDs() == [])
        #expect(fake.killedPIDs == [101, 102])
        try sandbox.remove()
    }

    @Test("on v2, killAll writes cgroup.kill and sends no signal of its own")
    func v2KillAll() throws {
        let fake = try FakeCgroupFS(mode: .unified)
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        try fake.writeText(try #require(sandbox.procsFiles.first), "101")
        #expect(try sandbox.processIDs() == [101])
        try sandbox.killAll()
        #expect(try sandbox.processIDs() == [])
        #expect(fake.writes.last?.description == "cgroup.kill = 1")
        #expect(fake.killedPIDs == [])
    }

    @Test("on v2 without cgroup.kill, killAll falls back to the SIGKILL loop")
    func v2KillAllWithoutCgroupKill() throws {
        let fake = try FakeCgroupFS(mode: .unified, cgroupKill: false)
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        try fake.writeText(try #require(sandbox.procsFiles.first), "101")
        try sandbox.killAll()
        #expect(fake.killedPIDs == [101])
        #expect(try sandbox.processIDs() == [])
    }

    @Test("a process that survives SIGKILL makes killAll fail after a bounded loop")
    func survivorFailsKillAll() throws {
        let fake = try Self.hybridLikeThisHost()
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        try fake.writeText(try #require(sandbox.procsFiles.first), "103")
        fake.makeUnkillable(103)
        #expect {
            try sandbox.killAll()
        } throws: { error in
            guard case .processesSurvivedKill(let pids) = error as? CgroupError else { return false }
            return pids == [103]
        }
        #expect(fake.killedPIDs.count > 10)
    }

    // MARK: cleanup

    @Test("remove deletes every directory create made, the fnbox parents included", arguments: [
        CgroupMode.unified, .hybrid, .legacy,
    ])
    func removeCleansUp(mode: CgroupMode) throws {
        let fake = try FakeCgroupFS(mode: mode, v2Controllers: mode == .hybrid ? [.memory] : Set(CgroupController.allCases), ownPath: "/a/b")
        let before = fake.allDirectories()
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        #expect(sandbox.paths.allSatisfy { fake.isDirectory($0) })
        #expect(fake.allDirectories().count > before.count)
        try sandbox.remove()
        #expect(fake.allDirectories() == before)
        #expect(sandbox.paths.allSatisfy { !fake.exists($0) })
        // A second remove is harmless.
        try sandbox.remove()
    }

    @Test("the fnbox parent stays while another sandbox uses it")
    func parentKeptWhileInUse() throws {
        let fake = try Self.hybridLikeThisHost()
        let manager = try fake.manager()
        let a = try manager.createSandboxCgroup(name: "a", limits: Self.limits)
        let b = try manager.createSandboxCgroup(name: "b", limits: Self.limits)
        try a.remove()
        #expect(fake.isDirectory(fake.root.appending("pids/fnbox/b")))
        try b.remove()
        #expect(!fake.exists(fake.root.appending("pids/fnbox")))
    }

    @Test("remove retries while the leaf is busy with exiting processes")
    func removeRetriesOnBusy() throws {
        let fake = try FakeCgroupFS(mode: .unified)
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        fake.failRemoval(of: fake.root.appending("fnbox/f1"), times: 5)
        try sandbox.remove()
        #expect(fake.sleepCount == 5)
        #expect(!fake.exists(fake.root.appending("fnbox")))
    }

    @Test("remove gives up on a leaf that stays busy, names it, and still removes the other leaves")
    func removeGivesUp() throws {
        let fake = try Self.hybridLikeThisHost()
        let sandbox = try fake.manager().createSandboxCgroup(name: "f1", limits: Self.limits)
        let stuck = fake.root.appending("cpu/fnbox/f1")
        fake.failRemoval(of: stuck, times: 1_000)
        #expect {
            try sandbox.remove()
        } throws: { error in
            guard case .removeFailed(let directory, let cause) = error as? CgroupError else { return false }
            return directory == stuck && cause.errno == .resourceBusy
        }
        #expect(fake.sleepCount < 200)
        #expect(!fake.exists(fake.root.appending("pids/fnbox")))
        #expect(fake.exists(stuck))
    }
}

extension String {
    func trimmingSuffixNewline() -> String {
        hasSuffix("\n") ? String(dropLast()) : self
    }
}
