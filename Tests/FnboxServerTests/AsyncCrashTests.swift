import FnboxCgroups
@testable import FnboxServer
import Foundation
import Testing

/// The built `fnboxd`, killed with SIGKILL while events are queued and running, then restarted.
@Suite("fnboxd async queue survives SIGKILL", .serialized)
struct AsyncCrashTests {
    static func launch(_ harness: DaemonHarness, out: SideEffectDir, log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: DaemonProcessTests.binary)
        process.arguments = [
            "--socket", harness.socketPath, "--state-dir", harness.stateDir, "--log-level", "warning",
            "--retry-base-delay", "0.2", "--mount-root", out.path, "--max-instances", "4",
        ]
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardError = handle
        try process.run()
        return process
    }

    static func waitLive(_ harness: DaemonHarness, log: String) async throws {
        for _ in 0..<200 where !UnixSocketPath.isLive(harness.socketPath) { try await Task.sleep(for: .milliseconds(50)) }
        try #require(UnixSocketPath.isLive(harness.socketPath), "fnboxd did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    @Test("300 accepted events, fnboxd SIGKILLed mid-way and restarted on the same state dir: every event ran or is a dead letter")
    func noEventLost() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DaemonProcessTests.binary), "build fnboxd first")
        let out = try SideEffectDir()
        let harness = DaemonHarness()
        let log = harness.stateDir + ".log"
        var process = try Self.launch(harness, out: out, log: log)
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
            // A daemon killed on a failure path cannot clean up: sweep what it left.
            (try? CgroupManager.detect())?.removeOrphanedSandboxCgroups()
            try? FileManager.default.removeItem(atPath: harness.stateDir)
            try? FileManager.default.removeItem(atPath: log)
            unlink(harness.socketPath)
            out.remove()
        }
        try await Self.waitLive(harness, log: log)
        #expect(try await harness.createPython("work", files: ["app.py": AsyncHandlers.sideEffect, "fnbox.toml": out.manifest]).status == 201)

        var accepted: [String] = []
        for n in 0..<300 {
            let response = try await harness.invokeEvent("work", #"{"sleep": 0.03, "n": \#(n)}"#)
            try #require(response.status == 202, "event \(n): \(response.status) \(response.text)")
            accepted.append(try #require(response.header("x-amzn-RequestId")))
        }
        // Kill once some events ran and many are still queued.
        _ = await eventually(30) { out.files().count >= 20 }
        let doneBeforeKill = out.files().count
        let killedPID = process.processIdentifier
        kill(killedPID, SIGKILL)
        process.waitUntilExit()
        #expect(!Self.sandboxCgroups(ownedBy: killedPID).isEmpty, "a SIGKILLed fnboxd leaves its sandboxes' cgroups: nothing to sweep, so the check below proves nothing")
        #expect(doneBeforeKill < accepted.count, "the kill came after everything had run: the test proves nothing")

        process = try Self.launch(harness, out: out, log: log)
        try await Self.waitLive(harness, log: log)
        let settled = await eventually(120) {
            let metrics = (try? await harness.request("GET", "/metrics").text) ?? ""
            return metrics.contains("fnbox_async_events_queued 0") && metrics.contains("fnbox_async_events_running 0")
        }
        #expect(settled, "the queue did not drain")
        #expect(Self.sandboxCgroups(ownedBy: killedPID).isEmpty, "the restarted fnboxd did not remove the killed one's cgroups")

        let done = Set(out.files())
        let dead = Set(try await harness.deadLetters("work").compactMap { $0["RequestId"] as? String })
        let lost = accepted.filter { !done.contains($0) && !dead.contains($0) }
        #expect(lost.isEmpty, "\(lost.count) of \(accepted.count) accepted events neither ran nor are dead letters")
        #expect(Set(accepted).count == accepted.count)

        // The restarted daemon stops gracefully and removes its own sandboxes' cgroups.
        let restartedPID = process.processIdentifier
        kill(restartedPID, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(Self.sandboxCgroups(ownedBy: restartedPID).isEmpty, "the restarted fnboxd left cgroups after SIGTERM")
    }

    /// Sandbox cgroup directories (in every hierarchy) whose name says `pid` created them.
    static func sandboxCgroups(ownedBy pid: Int32) -> [String] {
        guard let manager = try? CgroupManager.detect() else { return [] }
        return manager.drivers.flatMap { driver -> [String] in
            let parent = driver.ownCgroup.appending("fnbox").string
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
            return entries.filter { $0.hasPrefix("\(pid)-") }.map { parent + "/" + $0 }
        }
    }
}
