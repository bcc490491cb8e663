import FnboxAPI
import FnboxCgroups
@testable import FnboxServer
import Foundation
import Testing

@Suite("GET /fnbox/status", .serialized)
struct StatusEndpointTests {
    @Test("answers the pool's instances, idle and busy, their memory, the limits and the host's cgroup layout")
    func status() async throws {
        try await DaemonHarness.with(DaemonHarness(maxInstances: 3, memoryBudgetMB: 1024)) { d in
            let empty = try JSONDecoder().decode(DaemonStatus.self, from: Data(try await d.request("GET", "/fnbox/status").body))
            #expect(empty.Instances == 0 && empty.Functions.isEmpty)
            #expect(empty.MaxInstances == 3 && empty.MemoryBudgetMB == 1024)
            #expect(empty.CgroupLayout == (try CgroupManager.detect()).layoutDescription)

            #expect(try await d.createPython("counter", files: ["app.py": Handlers.counter]).status == 201)
            async let slow = d.invoke("counter", #"{"sleep": 1}"#)
            try await Task.sleep(for: .milliseconds(500))
            let busy = try JSONDecoder().decode(DaemonStatus.self, from: Data(try await d.request("GET", "/fnbox/status").body))
            #expect(busy.Busy == 1 && busy.Idle == 0 && busy.MemoryInUseMB == 128)
            #expect(busy.Functions == [DaemonStatus.FunctionInstances(FunctionName: "counter", Idle: 0, Busy: 1, MemoryMB: 128)])
            #expect(try await slow.status == 200)

            let response = try await d.request("GET", "/fnbox/status")
            #expect(response.status == 200 && response.header("Content-Type") == "application/json")
            let idle = try JSONDecoder().decode(DaemonStatus.self, from: Data(response.body))
            #expect(idle.Instances == 1 && idle.Idle == 1 && idle.Busy == 0 && idle.Queued == 0 && idle.MemoryInUseMB == 128)
            #expect(idle.Functions == [DaemonStatus.FunctionInstances(FunctionName: "counter", Idle: 1, Busy: 0, MemoryMB: 128)])
        }
    }
}
