import FnboxCgroups
import FnboxRuntime
import FnboxSandbox
import FnboxSystem
import FnboxTestSupport
import Foundation
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("cgroup limits hold for real", .serialized, .requiresRoot)
struct LimitsTests {
    let harness: SandboxHarness
    init() throws { harness = try SandboxHarness() }

    // The timeout only bounds a failure: the host OOM-kills the hog in about a second, but in the
    // cgroup v2 guest (qemu TCG) filling 128 MB under the 7% CPU quota of 128 MB takes 15-20 s.
    @Test("a memory hog is OOM-killed at its limit and reported as Runtime.OutOfMemory")
    func memoryHog() throws {
        let result = try harness.runPython(
            """
            def handler(event, context):
                hog = []
                while True:
                    hog.append(bytearray(16 << 20))
            """, memoryMB: 128, timeoutSeconds: 120)
        #expect(result.status == .outOfMemory)
        let e = try #require(SandboxHarness.object(result.payload))
        #expect(e["errorType"] as? String == "Runtime.OutOfMemory")
        #expect(e["errorMessage"] as? String == "RequestId: \(result.requestID) Error: Runtime exited with error: signal: killed")
        #expect(result.reportLine.contains("Status: error\tError Type: Runtime.OutOfMemory\t"))
        // The peak is the limit's neighbourhood: it really filled its 128 MB.
        #expect(result.maxMemoryUsedMB >= 100 && result.maxMemoryUsedMB <= 129, "Max Memory Used \(result.maxMemoryUsedMB)")
        expectNothingLeftBehind(harness)
    }

    // As above, the timeout is generous for the guest, where a thousand forks take about 20 s.
    @Test("a fork bomb is held by pids.max")
    func forkBomb() throws {
        let result = try harness.runPython(
            """
            import os, time, errno
            def handler(event, context):
                children = 0
                try:
                    for i in range(5000):
                        pid = os.fork()
                        if pid == 0:
                            time.sleep(60)
                            os._exit(0)
                        children += 1
                except OSError as e:
                    return {"children": children, "error": errno.errorcode.get(e.errno)}
                return {"children": children, "error": None}
            """, memoryMB: 2048, timeoutSeconds: 120)
        let r = try #require(SandboxHarness.object(result.payload), "\(String(decoding: result.payload, as: UTF8.self))")
        let children = try #require(r["children"] as? Int)
        #expect(children < 1024 && children > 500, "forked \(children)")
        #expect(r["error"] as? String == "EAGAIN")
        expectNothingLeftBehind(harness)
    }

    @Test("the CPU quota applies after init: a busy loop is throttled to its share")
    func cpuQuota() throws {
        let bundle = try SandboxHarness.makeBundle(["app.py": """
            import time
            def handler(event, context):
                wall = time.monotonic()
                cpu = time.process_time()
                while time.monotonic() - wall < 1.0:
                    pass
                return {"cpu": time.process_time() - cpu, "wall": time.monotonic() - wall}
            """])
        defer { SandboxHarness.removeBundle(bundle) }
        let config = FunctionConfig(name: "cpu", runtime: .python3, handler: "app.handler", memoryMB: 128, timeoutSeconds: 10)
        let instance = try InstanceFactory.start(config: config, bundleRoot: bundle, options: harness.options)
        defer { instance.destroy() }
        let cgroup = try #require(instance.cgroup)
        let before = try cgroup.cpuThrottling()
        let result = instance.invoke(InvocationRequest(payload: Array("{}".utf8), invokedFunctionARN: "arn"))
        let after = try cgroup.cpuThrottling()
        let r = try #require(SandboxHarness.object(result.payload))
        let cpu = try #require(r["cpu"] as? Double)
        // 128 MB is 128/1769 ≈ 7% of a core: a one-second busy loop gets ~0.07 s of CPU.
        #expect(cpu < 0.25, "used \(cpu) s of CPU in 1 s of wall time")
        #expect(after.throttledPeriods > before.throttledPeriods + 5)
        instance.destroy()
        expectNothingLeftBehind(harness)
    }

    // No process ever writes cgroup.procs here: if clone3 ignored CLONE_INTO_CGROUP, the child
    // would sit in our own cgroup and the membership check would fail.
    @Test("on a pure v2 host the sandbox starts inside its cgroup through CLONE_INTO_CGROUP", .requiresCgroupV2())
    func cloneIntoCgroup() throws {
        let bundle = try SandboxHarness.makeBundle([:])
        defer { SandboxHarness.removeBundle(bundle) }
        let cgroup = try harness.cgroups.createSandboxCgroup(
            name: "clone-into-\(getpid())", limits: CgroupLimits(memoryBytes: 64 << 20, pidsMax: 16))
        defer { try? cgroup.killAll(); try? cgroup.remove() }
        let leaf = try #require(cgroup.unifiedDirectory)
        let directoryFD = open(leaf.string, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        try #require(directoryFD >= 0)
        defer { close(directoryFD) }
        let devNull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devNull) }
        let layout = SandboxLayout(newRoot: harness.options.newRoot, rootfs: harness.options.rootfs, bundle: bundle)
        let spec = SandboxSpec(
            executable: "/bin/sleep", arguments: ["/bin/sleep", "60"], environment: [], newRoot: layout.newRoot,
            mounts: layout.mountTable(), workingDirectory: "/var/task", fds: [devNull, devNull, devNull],
            cgroupProcsFDs: [], cgroupDirectoryFD: directoryFD)
        let process = try Sandbox.spawnBlocking(spec)
        defer { process.kill(); _ = process.waitBlocking() }

        let membership = try ProcSelfCgroup(parsing: FileIO.readText(FilePath("/proc/\(process.pid)/cgroup")))
        let driver = try #require(harness.cgroups.driver(for: .memory))
        #expect(membership.v2Path.map { driver.mountPoint.string + $0 } == leaf.string)
        #expect(try cgroup.processIDs() == [process.pid])
        #expect(try cgroup.pidsCurrent() == 1)
        // cgroup.kill ends it in one write; the process is ours to reap.
        try cgroup.killAll()
        #expect(process.waitBlocking() == .signaled(SIGKILL))
        try cgroup.remove()
        #expect(!FileIO.exists(leaf))
    }

    @Test("a warm instance serves calls in sequence: module state survives, REPORT has Init Duration only on the first")
    func warmReuse() throws {
        let bundle = try SandboxHarness.makeBundle(["app.py": """
            count = 0
            def handler(event, context):
                global count
                count += 1
                return count
            """])
        defer { SandboxHarness.removeBundle(bundle) }
        let config = FunctionConfig(name: "warm", runtime: .python3, handler: "app.handler")
        let instance = try InstanceFactory.start(config: config, bundleRoot: bundle, options: harness.options)
        defer { instance.destroy() }
        let first = instance.invoke(InvocationRequest(payload: Array("{}".utf8), invokedFunctionARN: "arn"))
        let second = instance.invoke(InvocationRequest(payload: Array("{}".utf8), invokedFunctionARN: "arn"))
        #expect(String(decoding: first.payload, as: UTF8.self) == "1")
        #expect(String(decoding: second.payload, as: UTF8.self) == "2")
        #expect(first.reportLine.contains("Init Duration"))
        #expect(!second.reportLine.contains("Init Duration"))
        #expect(instance.isReusable)
        instance.destroy()
        expectNothingLeftBehind(harness)
    }

    @Test("an exec function gets the event on stdin and answers on stdout; a non-zero exit is an error")
    func execFunction() throws {
        let bundle = try SandboxHarness.makeBundle([
            "bootstrap": "#!/bin/sh\nread -r event\necho \"log line\" >&2\n[ \"$event\" = '\"fail\"' ] && exit 3\nprintf '{\"echo\": %s}\\n' \"$event\"\n",
        ], executable: ["bootstrap"])
        defer { SandboxHarness.removeBundle(bundle) }
        // The whole sandbox start counts against an exec function's timeout, under its 7% CPU
        // quota: 30 s, not the default 3, so that the slow cgroup v2 guest (qemu TCG) never trips it.
        let config = FunctionConfig(name: "exec", runtime: .exec, handler: "bootstrap", timeoutSeconds: 30)
        let ok = try FunctionRunner.runOnce(
            config: config, bundleRoot: bundle,
            request: InvocationRequest(payload: Array(#"{"a":1}"#.utf8), invokedFunctionARN: "arn"), options: harness.options)
        #expect(ok.status == .success)
        #expect(String(decoding: ok.payload, as: UTF8.self) == #"{"echo": {"a":1}}"#)
        #expect(ok.functionLog.contains("log line"))
        let bad = try FunctionRunner.runOnce(
            config: config, bundleRoot: bundle,
            request: InvocationRequest(payload: Array(#""fail""#.utf8), invokedFunctionARN: "arn"), options: harness.options)
        #expect(bad.status == .error(type: "Runtime.ExitError"))
        let e = try #require(SandboxHarness.object(bad.payload))
        #expect((e["errorMessage"] as? String)?.hasSuffix("Runtime exited with error: exit status 3") == true)
        expectNothingLeftBehind(harness)
    }
}
