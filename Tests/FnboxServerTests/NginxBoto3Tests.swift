@testable import FnboxServer
import Foundation
import Testing

@Suite("fnboxd through nginx with boto3", .serialized)
struct NginxBoto3Tests {
    /// A Python with boto3: `$FNBOX_TEST_PYTHON`, the checkout's `.venv`, else `python3` on PATH.
    static func python() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["FNBOX_TEST_PYTHON"] { candidates.append(explicit) }
        candidates.append(NginxHarness.repositoryRoot.appendingPathComponent(".venv/bin/python").path)
        candidates.append("python3")
        for candidate in candidates {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            check.arguments = [candidate, "-c", "import boto3"]
            check.standardError = FileHandle.nullDevice
            if (try? check.run()) != nil {
                check.waitUntilExit()
                if check.terminationStatus == 0 { return candidate }
            }
        }
        throw NginxHarness.Missing(description: "no Python with boto3 (set FNBOX_TEST_PYTHON or create .venv)")
    }

    @Test("boto3 with endpoint_url at nginx: create, invoke with Tail, list, update code, a 7 MB invoke refused with 413, delete; a function URL answers a form POST")
    func boto3ThroughNginx() async throws {
        let python = try Self.python()
        try await DaemonHarness.with { d in
            let socketPath = d.socketPath
            let nginx = try await runBlockingThrowing { try NginxHarness(socketPath: socketPath) }
            defer { nginx.stop() }
            let script = nginx.directory + "/client.py"
            try Boto3Script.source.write(toFile: script, atomically: true, encoding: .utf8)
            let endpoint = nginx.endpoint
            let (status, output) = try await ChildProcess.run("/usr/bin/env", [python, script, endpoint])
            #expect(status == 0, "\(output)")
            #expect(output.contains("BOTO3 OK"), "\(output)")
        }
    }
}
