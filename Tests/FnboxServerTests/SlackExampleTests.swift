@testable import FnboxServer
import Foundation
import Testing

@Suite("examples/slack-command through nginx", .serialized)
struct SlackExampleTests {
    static func bundle(_ directory: String, replacing: [String: String] = [:]) throws -> [String: String] {
        let root = NginxHarness.repositoryRoot.appendingPathComponent("examples/slack-command/\(directory)")
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: root.path) {
            var text = try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
            for (from, to) in replacing { text = text.replacingOccurrences(of: from, with: to) }
            files[name] = text
        }
        return files
    }

    @Test("a slash command's POST is answered by ack at once, and the worker runs later from the async queue and writes its result")
    func slashCommand() async throws {
        let out = try SideEffectDir()
        defer { out.remove() }
        try await DaemonHarness.with(.async(out: out)) { (d: DaemonHarness) async throws in
            #expect(try await d.createPython("ack", files: try Self.bundle("ack")).status == 201)
            let worker = try Self.bundle("worker", replacing: ["/srv/fnbox/results": out.path])
            #expect(try await d.createPython("worker", files: worker, timeout: 60).status == 201)
            let snippet = try String(
                contentsOf: NginxHarness.repositoryRoot.appendingPathComponent("examples/slack-command/nginx-slack.conf"), encoding: .utf8)
            let socketPath = d.socketPath
            let nginx = try await runBlockingThrowing { try NginxHarness(socketPath: socketPath, serverSnippet: snippet) }
            defer { nginx.stop() }

            let endpoint = nginx.endpoint
            let start = Date()
            let (status, output) = try await ChildProcess.run("/usr/bin/env", [
                "curl", "-sS", "-w", "\n%{http_code}", "-H", "Content-Type: application/x-www-form-urlencoded",
                "--data", "user_name=grace&text=report&response_url=https%3A%2F%2Fhooks.example%2Fx", endpoint + "/slack",
            ], stderr: false)
            let elapsed = Date().timeIntervalSince(start)
            #expect(status == 0)
            #expect(output.hasSuffix("\n200"), "\(output)")
            #expect(output.contains("please wait"), "\(output)")
            // The worker sleeps 2 s before it writes: the answer must not have waited for it.
            #expect(!out.files().contains { $0.hasSuffix(".json") }, "ack answered after \(elapsed) s, once the worker had finished")

            #expect(await eventually(20) { out.files().contains { $0.hasSuffix(".json") } })
            let result = try #require(out.files().first { $0.hasSuffix(".json") }.flatMap { out.read($0) })
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: String])
            #expect(object["user"] == "grace")
            #expect(object["text"] == "report")
            #expect(object["response_url"] == "https://hooks.example/x")
        }
    }
}
