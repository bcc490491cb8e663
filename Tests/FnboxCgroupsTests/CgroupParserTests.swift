@testable import FnboxCgroups
import SystemPackage
import Testing

@Suite("Parsing cgroup and proc files")
struct CgroupParserTests {
    static let hybridHostProcSelfCgroup = """
        9:name=systemd:/
        8:pids:/
        4:memory:/process_api/30718cc80c0c6dd2f8d956b3272745de
        2:cpuacct:/
        1:cpu:/
        0::/

        """

    @Test("/proc/self/cgroup of this hybrid host yields each v1 hierarchy and the v2 path")
    func hybridProcSelfCgroup() throws {
        let parsed = try ProcSelfCgroup(parsing: Self.hybridHostProcSelfCgroup)
        #expect(parsed.v2Path == "/")
        #expect(parsed.v1.count == 5)
        #expect(parsed.v1Entry(for: .memory) == .init(hierarchyID: 4, controllers: ["memory"], path: "/process_api/30718cc80c0c6dd2f8d956b3272745de"))
        #expect(parsed.v1Entry(for: .cpu)?.controllers == ["cpu"])
        #expect(parsed.v1Entry(for: .pids)?.path == "/")
    }

    @Test("a co-mounted cpu,cpuacct line serves cpu, and a path may contain ':'")
    func coMountedProcSelfCgroup() throws {
        let parsed = try ProcSelfCgroup(parsing: "3:cpu,cpuacct:/user.slice/a:b\n1:name=systemd:/x\n")
        #expect(parsed.v1Entry(for: .cpu) == .init(hierarchyID: 3, controllers: ["cpu", "cpuacct"], path: "/user.slice/a:b"))
        #expect(parsed.v1Entry(for: .memory) == nil)
        #expect(parsed.v2Path == nil)
    }

    @Test("a unified host's /proc/self/cgroup has only the 0:: line")
    func unifiedProcSelfCgroup() throws {
        let parsed = try ProcSelfCgroup(parsing: "0::/system.slice/fnboxd.service\n")
        #expect(parsed.v1.isEmpty)
        #expect(parsed.v2Path == "/system.slice/fnboxd.service")
    }

    @Test("a malformed /proc/self/cgroup line is rejected by name", arguments: [
        "garbage", "x:cpu:/", "1:cpu:relative/path", "-1:cpu:/", "1::/", "1:cpu",
    ])
    func malformedProcSelfCgroup(line: String) {
        #expect {
            _ = try ProcSelfCgroup(parsing: "0::/\n\(line)\n")
        } throws: { error in
            guard case .malformedProcSelfCgroup(let bad) = error as? CgroupError else { return false }
            return bad == line
        }
    }

    @Test("flat-keyed files give the value of a key", arguments: [
        ("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n", "oom_kill", 2 as Int?),
        ("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n", "oom_kill", 7),
        ("oom_kill_disable 0\nunder_oom 1\n", "oom_kill", nil),
        ("nr_periods 5\nthrottled_time 9000000000\n", "throttled_time", 9_000_000_000),
        ("oom_kill many\n", "oom_kill", nil),
        ("", "oom_kill", nil),
    ])
    func flatKeyed(text: String, key: String, expected: Int?) {
        #expect(CgroupFileParsers.flatKeyed(text)?[key] == expected)
    }

    @Test("cpu.stat gives throttling in microseconds, converting v1's nanoseconds", arguments: [
        (CgroupVersion.v2,
         "usage_usec 900\nuser_usec 800\nsystem_usec 100\nnr_periods 40\nnr_throttled 12\nthrottled_usec 3456\nnr_bursts 0\nburst_usec 0\n",
         [40, 12, 3456] as [Int]?),
        (.v1, "nr_periods 40\nnr_throttled 12\nthrottled_time 3456789\nnr_bursts 0\nburst_time 0\n", [40, 12, 3456]),
        // v2 cpu.stat without the cpu controller enabled has only the usage lines.
        (.v2, "usage_usec 900\nuser_usec 800\nsystem_usec 100\n", nil),
        (.v1, "nr_periods 40\nnr_throttled 12\nthrottled_usec 3456\n", nil),
    ])
    func cpuThrottling(version: CgroupVersion, text: String, expected: [Int]?) {
        let parsed = CgroupFileParsers.cpuThrottling(text, version: version)
        #expect(parsed.map { [$0.periods, $0.throttledPeriods, $0.throttledMicros] } == expected)
    }

    @Test("single-value files tolerate the trailing newline and reject anything else", arguments: [
        ("67108864\n", 67_108_864 as UInt64?), ("9223372036854771712\n", 9_223_372_036_854_771_712),
        ("0", 0), ("max\n", nil), ("-1\n", nil), ("", nil),
    ])
    func unsignedValue(text: String, expected: UInt64?) {
        #expect(CgroupFileParsers.unsignedValue(text) == expected)
    }

    @Test("cgroup.procs lists pids one a line", arguments: [
        ("", [] as [Int32]?), ("12\n345\n", [12, 345]), ("12\nabc\n", nil), ("0\n", nil),
    ])
    func processIDs(text: String, expected: [Int32]?) {
        #expect(CgroupFileParsers.processIDs(text) == expected)
    }

    @Test("CPUQuota(cpus:) uses a 100 ms period, a 1 ms minimum, and never traps", arguments: [
        (0.5, 50_000), (2.0, 200_000), (0.001, 1_000), (0.0, 1_000), (-3.0, 1_000),
        (Double.nan, 1_000), (Double.infinity, Int(Int32.max)),
    ])
    func cpuQuotaFromCPUs(cpus: Double, quota: Int) {
        let value = CPUQuota(cpus: cpus)
        #expect(value == CPUQuota(quotaMicros: quota, periodMicros: 100_000))
        #expect(value.isValid)
    }
}

@Suite("Detecting the cgroup mode")
struct CgroupModeDetectionTests {
    static let hybridMountInfo = """
        23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """

    @Test("modes follow crun's decision on the filesystem types", arguments: [
        // This host: tmpfs root with cgroup2 at unified/.
        (hybridMountInfo, true, CgroupMode.hybrid),
        // A systemd unified host.
        ("23 1 0:21 / /sys rw - sysfs sysfs rw\n27 23 0:24 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n", false, .unified),
        // tmpfs root, no unified/ directory.
        ("23 1 0:21 / /sys rw - sysfs sysfs rw\n31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n", false, .legacy),
        // unified/ exists but is only a directory on the tmpfs.
        ("23 1 0:21 / /sys rw - sysfs sysfs rw\n31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n", true, .legacy),
        // cgroup2 mounted on top of an earlier tmpfs at the same place: the later mount wins.
        ("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n50 31 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", false, .unified),
    ])
    func classify(mountInfo: String, unifiedExists: Bool, expected: CgroupMode) throws {
        #expect(try CgroupMode.detect(root: "/sys/fs/cgroup", mountInfo: mountInfo, unifiedExists: unifiedExists) == expected)
    }

    @Test("a cgroup root that is neither cgroup2 nor tmpfs is an error naming its type")
    func unsupportedRoot() {
        #expect {
            _ = try CgroupMode.detect(root: "/sys/fs/cgroup", mountInfo: "1 0 8:1 / / rw - ext4 /dev/vda rw\n", unifiedExists: false)
        } throws: { error in
            guard case .unsupportedFilesystem(let path, let type) = error as? CgroupError else { return false }
            return path == "/sys/fs/cgroup" && type == "ext4"
        }
    }

    @Test("mount points with escaped spaces match their path")
    func escapedMountPoint() {
        let info = "1 0 8:1 / / rw - ext4 /dev/vda rw\n40 1 0:40 / /tmp/with\\040space rw - cgroup2 cgroup2 rw\n"
        #expect(CgroupMode.filesystemType(of: "/tmp/with space/x", mountInfo: info) == "cgroup2")
        #expect(CgroupMode.filesystemType(of: "/tmp/other", mountInfo: info) == "ext4")
    }
}
