import FnboxRuntime
import FnboxTestSupport
import Foundation
import Testing

@Suite("cgroup limits hold for real", .serialized, .requiresRoot)
struct LimitsTests {
    let harness: SandboxHarness
    init() throws { harness = try SandboxHarness() }

    @Test("a memory hog is OOM-killed at its limit and reported as Runtime.OutOfMemory")
    func memoryHog() throws {
        let result = try harness.runPython(
            """
            def handler(event, context):
                hog = []
                while True:
                    hog.append(bytearray(16 << 20))
            """, memoryMB: 128, timeoutSeconds: 20)
        #expect(result.status == .outOfMemory)
        let e = try #require(SandboxHarness.object(result.payload))
        #expect(e["errorType"] as? String == "Runtime.OutOfMemory")
        #expect(e["errorMessage"] as? String == "RequestId: \(result.requestID) Error: Runtime exited with error: signal: killed")
        #expect(result.reportLine.contains("Status: error\tError Type: Runtime.OutOfMemory\t"))
        // The peak is the limit's neighbourhood: it really filled its 128 MB.
        #expect(result.maxMemoryUsedMB >= 100 && result.maxMemoryUsedMB <= 129, "Max Memory Used \(result.maxMemoryUsedMB)")
        expectNothingLeftBehind(harness)
    }

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
            """, memoryMB: 2048, timeoutSeconds: 30)
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
        let config = FunctionConfig(name: "exec", runtime: .exec, handler: "bootstrap")
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
