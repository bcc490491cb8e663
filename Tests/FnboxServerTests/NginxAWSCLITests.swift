@testable import FnboxServer
import Foundation
import Testing

@Suite("fnboxd through nginx with the AWS CLI", .serialized)
struct NginxAWSCLITests {
    /// The AWS CLI: `$FNBOX_TEST_AWS`, the checkout's `.venv/bin/aws` (scripts/install-deps makes
    /// it), else `aws` on PATH, with its major version. Missing is a failure, not a skip: the issue
    /// asks for this client.
    static func aws() throws -> (path: String, major: Int) {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["FNBOX_TEST_AWS"] { candidates.append(explicit) }
        candidates.append(NginxHarness.repositoryRoot.appendingPathComponent(".venv/bin/aws").path)
        candidates.append("aws")
        for candidate in candidates {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            check.arguments = [candidate, "--version"]
            let pipe = Pipe()
            check.standardOutput = pipe
            check.standardError = pipe
            if (try? check.run()) != nil {
                let version = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                check.waitUntilExit()
                // "aws-cli/1.45.11 Python/3.11.7 ..." or "aws-cli/2.22.0 ..."
                if check.terminationStatus == 0, version.hasPrefix("aws-cli/") {
                    return (candidate, Int(version.dropFirst("aws-cli/".count).prefix { $0.isNumber }) ?? 0)
                }
            }
        }
        throw NginxHarness.Missing(description: "no AWS CLI (set FNBOX_TEST_AWS, or run scripts/install-deps for .venv/bin/aws)")
    }

    /// One `aws lambda ...` run: exit status, stdout, stderr.
    struct Run: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] }
        var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
    }

    /// Runs `aws lambda <arguments> --endpoint-url <nginx>` with dummy credentials, no config
    /// files and no retries, in `directory` (for fileb:// and outfile paths).
    static func lambda(_ aws: String, _ arguments: [String], endpoint: String, directory: String) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [aws, "lambda"] + arguments + ["--endpoint-url", endpoint, "--output", "json"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("AWS_") { environment[key] = nil }
        environment.merge([
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": "\(directory)/no-config", "AWS_SHARED_CREDENTIALS_FILE": "\(directory)/no-credentials",
            "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": "",
        ]) { $1 }
        process.environment = environment
        let out = "\(directory)/aws.out", err = "\(directory)/aws.err"
        for path in [out, err] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    @Test("aws lambda with --endpoint-url at nginx: create-function from fileb://, invoke with Tail, list-functions, update-function-code, a missing function, delete-function")
    func awsCLIThroughNginx() async throws {
        let (aws, major) = try Self.aws()
        // v2 reads blob arguments as base64 unless told otherwise; v1 sends them raw and has no such flag.
        let rawPayload = major >= 2 ? ["--cli-binary-format", "raw-in-base64-out"] : []
        try await DaemonHarness.with { d in
            let socketPath = d.socketPath
            let nginx = try await runBlockingThrowing { try NginxHarness(socketPath: socketPath) }
            defer { nginx.stop() }
            let directory = nginx.directory, endpoint = nginx.endpoint
            try Data(ZipMaker.zip(["app.py": """
                count = 0
                def handler(event, context):
                    global count
                    count += 1
                    print("awscli log line", count)
                    return {"v": 1, "count": count, "event": event}
                """])).write(to: URL(fileURLWithPath: "\(directory)/v1.zip"))
            try Data(ZipMaker.zip(["app.py": "def handler(event, context):\n    return {'v': 2}\n"]))
                .write(to: URL(fileURLWithPath: "\(directory)/v2.zip"))
            func lambda(_ arguments: [String]) async throws -> Run {
                try await runBlockingThrowing { try Self.lambda(aws, arguments, endpoint: endpoint, directory: directory) }
            }
            func payload() throws -> [String: Any]? {
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/out.json"))) as? [String: Any]
            }

            let created = try await lambda([
                "create-function", "--function-name", "awscli", "--runtime", "python3.12",
                "--role", "arn:aws:iam::123456789012:role/lambda", "--handler", "app.handler", "--zip-file", "fileb://v1.zip",
            ])
            #expect(created.status == 0, "\(created)")
            #expect(created.json?["FunctionName"] as? String == "awscli", "\(created)")
            #expect(created.json?["State"] as? String == "Active", "\(created)")

            let invoked = try await lambda([
                "invoke", "--function-name", "awscli", "--payload", #"{"k": "v"}"#, "--log-type", "Tail", "out.json",
            ] + rawPayload)
            #expect(invoked.status == 0, "\(invoked)")
            #expect(invoked.json?["StatusCode"] as? Int == 200, "\(invoked)")
            #expect(invoked.json?["ExecutedVersion"] as? String == "$LATEST", "\(invoked)")
            #expect(invoked.json?["FunctionError"] == nil, "\(invoked)")
            let log = (invoked.json?["LogResult"] as? String).flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
            #expect(log?.contains("awscli log line 1") == true && log?.contains("REPORT RequestId:") == true, "\(invoked)")
            let first = try payload()
            #expect(first?["v"] as? Int == 1 && first?["count"] as? Int == 1, "\(String(describing: first))")
            #expect(first?["event"] as? [String: String] == ["k": "v"], "\(String(describing: first))")

            let listed = try await lambda(["list-functions"])
            #expect(listed.status == 0, "\(listed)")
            let names = (listed.json?["Functions"] as? [[String: Any]])?.compactMap { $0["FunctionName"] as? String }
            #expect(names == ["awscli"], "\(listed)")

            let updated = try await lambda(["update-function-code", "--function-name", "awscli", "--zip-file", "fileb://v2.zip"])
            #expect(updated.status == 0, "\(updated)")
            #expect(updated.json?["CodeSha256"] as? String != created.json?["CodeSha256"] as? String, "\(updated)")
            let second = try await lambda(["invoke", "--function-name", "awscli", "out.json"])
            #expect(second.status == 0, "\(second)")
            #expect(try payload()?["v"] as? Int == 2)

            let missing = try await lambda(["invoke", "--function-name", "missing", "out.json"])
            #expect(missing.status != 0, "\(missing)")
            #expect(missing.stderr.contains("ResourceNotFoundException") && missing.stderr.contains("Function not found"), "\(missing)")

            let deleted = try await lambda(["delete-function", "--function-name", "awscli"])
            #expect(deleted.status == 0, "\(deleted)")
            let empty = try await lambda(["list-functions"])
            #expect((empty.json?["Functions"] as? [Any])?.isEmpty == true, "\(empty)")
        }
    }
}
