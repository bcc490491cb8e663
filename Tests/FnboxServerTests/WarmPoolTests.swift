@testable import FnboxServer
import Foundation
import Testing

@Suite("fnboxd warm pool", .serialized)
struct WarmPoolTests {
    @Test("two sequential calls hit the same warm instance: the module counter reads 1 then 2")
    func sequentialCallsReuse() async throws {
        try await DaemonHarness.with { d in
            #expect(try await d.createPython("seq", files: ["app.py": Handlers.counter]).status == 201)
            let first = try await d.invoke("seq", headers: [("X-Amz-Log-Type", "Tail")])
            let second = try await d.invoke("seq", headers: [("X-Amz-Log-Type", "Tail")])
            #expect(first.json?["count"] as? Int == 1)
            #expect(second.json?["count"] as? Int == 2)
            #expect(first.json?["instance"] as? String == second.json?["instance"] as? String)
            let secondLog = String(decoding: Data(base64Encoded: second.header("X-Amz-Log-Result") ?? "") ?? Data(), as: UTF8.self)
            #expect(secondLog.contains("REPORT RequestId"))
            #expect(!secondLog.contains("Init Duration"))
            #expect(await d.daemon?.poolStats().idle == 1)
            let metrics = try await d.request("GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.text.contains(#"fnbox_invocations_total{function="seq",outcome="success"} 2"#), "\(metrics.text)")
            #expect(metrics.text.contains(#"fnbox_cold_starts_total{function="seq"} 1"#))
            #expect(metrics.text.contains(#"fnbox_warm_hits_total{function="seq"} 1"#))
            #expect(metrics.text.contains("fnbox_instances_idle 1"))
        }
    }

    @Test("two concurrent calls run in two instances")
    func concurrentCallsGetTwoInstances() async throws {
        try await DaemonHarness.with { d in
            #expect(try await d.createPython("conc", files: ["app.py": Handlers.counter]).status == 201)
            async let a = d.invoke("conc", #"{"sleep": 1}"#)
            async let b = d.invoke("conc", #"{"sleep": 1}"#)
            let (ra, rb) = try await (a, b)
            #expect(ra.json?["count"] as? Int == 1)
            #expect(rb.json?["count"] as? Int == 1)
            #expect(ra.json?["instance"] as? String != rb.json?["instance"] as? String)
            #expect(await d.daemon?.poolStats().idle == 2)
        }
    }

    @Test("reserved concurrency 1: a second call waits in the queue, and past the queue timeout gets 429")
    func reservedConcurrencyQueuesThenThrottles() async throws {
        try await DaemonHarness.with(DaemonHarness(queueTimeout: .milliseconds(1500))) { d in
            #expect(try await d.createPython("one", files: ["app.py": Handlers.counter]).status == 201)
            let put = try await d.requestJSON("PUT", "/2017-10-31/functions/one/concurrency", #"{"ReservedConcurrentExecutions": 1}"#)
            #expect(put.status == 200)
            #expect(put.json?["ReservedConcurrentExecutions"] as? Int == 1)
            _ = try await d.invoke("one")  // warm it

            // Queued: the second call waits for the first (0.8 s), within the 1.5 s queue timeout.
            let clock = ContinuousClock()
            let start = clock.now
            async let slow = d.invoke("one", #"{"sleep": 0.8}"#)
            try await Task.sleep(for: .milliseconds(200))
            #expect(await d.daemon?.poolStats().busy == 1)
            async let queued = d.invoke("one")
            try await Task.sleep(for: .milliseconds(200))
            #expect(await d.daemon?.poolStats().queued == 1)
            let (r1, r2) = try await (slow, queued)
            #expect(r1.status == 200)
            #expect(r2.status == 200)
            #expect(clock.now - start >= .milliseconds(800))
            #expect(r1.json?["instance"] as? String == r2.json?["instance"] as? String)

            // Throttled: the first call outlasts the queue timeout.
            async let long = d.invoke("one", #"{"sleep": 3}"#)
            try await Task.sleep(for: .milliseconds(200))
            let throttled = try await d.invoke("one")
            #expect(throttled.status == 429)
            #expect(throttled.header("x-amzn-ErrorType") == "TooManyRequestsException")
            #expect(throttled.json?["Reason"] as? String == "ReservedFunctionConcurrentInvocationLimitExceeded")
            #expect(throttled.json?["message"] as? String == "Rate Exceeded.")
            #expect(try await d.request("GET", "/metrics").text.contains(#"fnbox_throttles_total{function="one"} 1"#))
            #expect(try await long.status == 200)

            // Reserved 0 throttles at once; deleting the limit lifts it.
            _ = try await d.requestJSON("PUT", "/2017-10-31/functions/one/concurrency", #"{"ReservedConcurrentExecutions": 0}"#)
            #expect(try await d.invoke("one").status == 429)
            #expect(try await d.request("DELETE", "/2017-10-31/functions/one/concurrency").status == 204)
            #expect(try await d.invoke("one").status == 200)
        }
    }

    @Test("the idle TTL brings the pool to zero, and the instance's cgroups go with it")
    func idleTTLScalesToZero() async throws {
        try await DaemonHarness.with(DaemonHarness(idleTTL: .seconds(1))) { d in
            #expect(try await d.createPython("ttl", files: ["app.py": Handlers.counter]).status == 201)
            #expect(try await d.invoke("ttl").status == 200)
            #expect(await d.daemon?.poolStats().idle == 1)
            let cgroups = await d.daemon?.liveCgroupPaths() ?? []
            #expect(!cgroups.isEmpty && cgroups.allSatisfy { FileManager.default.fileExists(atPath: $0) }, "\(cgroups)")
            // A 1 s TTL reaped every 0.5 s: gone after 1.5 s on the host. The instance is destroyed
            // in the background once it leaves the pool, so wait for its cgroups too. The bound is
            // generous for the cgroup v2 guest (qemu TCG), where a destroy alone takes a second.
            func remaining() -> [String] { cgroups.filter { FileManager.default.fileExists(atPath: $0) } }
            let deadline = ContinuousClock.now + .seconds(10)
            while await d.daemon?.poolStats().idle != 0 || !remaining().isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(await d.daemon?.poolStats().idle == 0)
            #expect(remaining() == [], "cgroups outlive their instance")
            #expect(try await d.invoke("ttl").json?["count"] as? Int == 1)
        }
    }

    @Test("a timed-out instance is never reused: the next call gets a fresh one")
    func timedOutInstanceIsReplaced() async throws {
        try await DaemonHarness.with { d in
            #expect(try await d.createPython("slow", files: ["app.py": Handlers.counter], timeout: 1).status == 201)
            let first = try await d.invoke("slow")
            let timedOut = try await d.invoke("slow", #"{"sleep": 5}"#)
            #expect(timedOut.status == 200)
            #expect(timedOut.header("X-Amz-Function-Error") == "Unhandled")
            let next = try await d.invoke("slow")
            #expect(next.json?["count"] as? Int == 1)
            #expect(next.json?["instance"] as? String != first.json?["instance"] as? String)
        }
    }
}

@Suite("fnboxd pool limits and shutdown", .serialized)
struct PoolLimitTests {
    @Test("a crashed instance is never reused: the next call gets a fresh one")
    func crashedInstanceIsReplaced() async throws {
        try await DaemonHarness.with { d in
            let source = Handlers.counter + "\nimport os\ndef crash(event, context):\n    os._exit(3)\n"
            #expect(try await d.createPython("crashy", files: ["app.py": source]).status == 201)
            #expect(try await d.invoke("crashy").json?["count"] as? Int == 1)
            #expect(try await d.invoke("crashy").json?["count"] as? Int == 2)
            // Same code, handler switched to the crashing one: a new revision, so a new instance.
            _ = try await d.requestJSON("PUT", "/2015-03-31/functions/crashy/configuration", #"{"Handler": "app.crash"}"#)
            let crashed = try await d.invoke("crashy")
            #expect(crashed.status == 200)
            #expect(crashed.header("X-Amz-Function-Error") == "Unhandled")
            #expect(crashed.json?["errorType"] as? String == "Runtime.ExitError")
            #expect(await d.daemon?.poolStats().idle == 0)
            _ = try await d.requestJSON("PUT", "/2015-03-31/functions/crashy/configuration", #"{"Handler": "app.handler"}"#)
            #expect(try await d.invoke("crashy").json?["count"] as? Int == 1)
        }
    }

    @Test("an OOM-killed instance is never reused: the next call gets a fresh one")
    func oomInstanceIsReplaced() async throws {
        try await DaemonHarness.with { d in
            let source = Handlers.counter + "\ndef hog(event, context):\n    if event.get('hog'):\n        blocks = [bytearray(16 << 20) for _ in range(64)]\n    return handler(event, context)\n"
            // The timeout only bounds a failure (the client waits 60 s): the host OOM-kills the hog at
            // once, the cgroup v2 guest (qemu TCG, 7% of a core at 128 MB) in 10-20 s.
            #expect(try await d.createPython("hungry", files: ["app.py": source], handler: "app.hog", timeout: 50).status == 201)
            let first = try await d.invoke("hungry")
            #expect(first.json?["count"] as? Int == 1)
            let killed = try await d.invoke("hungry", #"{"hog": true}"#)
            #expect(killed.status == 200)
            #expect(killed.header("X-Amz-Function-Error") == "Unhandled")
            #expect(killed.json?["errorType"] as? String == "Runtime.OutOfMemory", "\(killed.text)")
            let next = try await d.invoke("hungry")
            #expect(next.json?["count"] as? Int == 1)
            #expect(next.json?["instance"] as? String != first.json?["instance"] as? String)
        }
    }

    @Test("a provided runtime runs the bundle's bootstrap as an exec function")
    func providedRuntime() async throws {
        try await DaemonHarness.with { d in
            let bootstrap = try String(contentsOf: NginxHarness.repositoryRoot.appendingPathComponent("examples/exec-echo/bootstrap"), encoding: .utf8)
            let body: [String: Any] = [
                "FunctionName": "execy", "Runtime": "provided.al2023", "Role": "arn:aws:iam::000000000000:role/test",
                "Handler": "ignored", "Code": ["ZipFile": try ZipMaker.base64(["bootstrap": bootstrap])],
            ]
            let created = try await d.request("POST", "/2015-03-31/functions", body: Array(try JSONSerialization.data(withJSONObject: body)))
            #expect(created.status == 201)
            let response = try await d.invoke("execy", #"{"x": 1}"#)
            #expect(response.status == 200)
            #expect(response.text.contains(#""echo": {"x": 1}"#), "\(response.text)")
        }
    }

    @Test("over the memory budget the least recently used idle instance is evicted")
    func memoryBudgetEvictsLRU() async throws {
        try await DaemonHarness.with(DaemonHarness(memoryBudgetMB: 256)) { (d: DaemonHarness) async throws in
            for name in ["a", "b", "c"] {
                #expect(try await d.createPython(name, files: ["app.py": Handlers.counter]).status == 201)
            }
            #expect(try await d.invoke("a").json?["count"] as? Int == 1)
            #expect(try await d.invoke("b").json?["count"] as? Int == 1)
            #expect(try await d.invoke("a").json?["count"] as? Int == 2)  // b is now least recently used
            #expect(try await d.invoke("c").json?["count"] as? Int == 1)  // evicts b
            #expect(await d.daemon?.poolStats().idle == 2)
            #expect(try await d.invoke("a").json?["count"] as? Int == 3)
            #expect(try await d.invoke("b").json?["count"] as? Int == 1)
        }
    }

    @Test("shutdown lets a call in flight finish, then destroys every instance and its cgroup")
    func gracefulShutdown() async throws {
        let harness = DaemonHarness()
        try await harness.start()
        defer { try? FileManager.default.removeItem(atPath: harness.stateDir) }
        let daemon = try #require(harness.daemon)
        #expect(try await harness.createPython("busy", files: ["app.py": Handlers.counter]).status == 201)
        #expect(try await harness.createPython("idle", files: ["app.py": Handlers.counter]).status == 201)
        #expect(try await harness.invoke("idle").status == 200)
        async let inFlight = harness.invoke("busy", #"{"sleep": 1}"#)
        try await Task.sleep(for: .milliseconds(400))
        let cgroups = await daemon.liveCgroupPaths()
        #expect(!cgroups.isEmpty)
        await daemon.shutdown()
        let response = try await inFlight
        #expect(response.status == 200)
        #expect(response.json?["count"] as? Int == 1)
        #expect(cgroups.filter { FileManager.default.fileExists(atPath: $0) } == [])
        #expect(await daemon.poolStats() == (idle: 0, busy: 0, queued: 0))
        #expect(!FileManager.default.fileExists(atPath: harness.socketPath))
    }
}
