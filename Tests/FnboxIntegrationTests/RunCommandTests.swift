import FnboxTestSupport
import Foundation
import Testing

/// `fnbox run` as a user runs it: the built binary, its stdout, stderr and exit status.
@Suite("fnbox run, end to end", .serialized, .requiresRoot)
struct RunCommandTests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `fnbox` built beside this test binary (`swift build` builds it; `swift test` alone may not).
    static func fnboxBinary() throws -> String {
        let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("fnbox").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw MissingPrerequisite("the fnbox binary is not built beside the tests: run `swift build` first")
    }

    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    func run(_ arguments: [String], stdin: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.fnboxBinary())
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: Self.repoRoot)
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test("fnbox run examples/hello prints the result on stdout and a true REPORT on stderr")
    func hello() throws {
        let o = try run(["run", "examples/hello", "--event", #"{"name":"fnbox"}"#])
        #expect(o.status == 0, "\(o.stderr)")
        #expect(o.stdout == #"{"message": "Hello, fnbox!"}"#)
        #expect(o.stderr.contains("START RequestId: "))
        let report = o.stderr.split(separator: "\n").first { $0.hasPrefix("REPORT RequestId: ") }
        let line = try #require(report.map(String.init))
        #expect(line.range(of: #"Max Memory Used: [1-9]\d* MB\tInit Duration: \d+\.\d\d ms\t$"#, options: .regularExpression) != nil, "\(line)")
    }

    @Test("the event can come from stdin, and the exec example echoes it")
    func execFromStdin() throws {
        let o = try run(["run", "examples/exec-echo"], stdin: #"{"k": "v"}"#)
        #expect(o.status == 0, "\(o.stderr)")
        #expect(o.stdout.contains(#""k""#))
    }

    @Test("a failing function exits 1 with Lambda's error payload on stdout")
    func failureExitsOne() throws {
        let bundle = try SandboxHarness.makeBundle(["app.py": "def handler(e, c):\n    raise ValueError('nope')\n"])
        defer { SandboxHarness.removeBundle(bundle) }
        let o = try run(["run", bundle.string])
        #expect(o.status == 1)
        #expect(o.stdout.contains(#""errorType": "ValueError""#))
        #expect(o.stderr.contains("Status: error\tError Type: ValueError"))
    }

    @Test("a timeout exits 1 with Sandbox.Timedout", .timeLimit(.minutes(1)))
    func timeoutExitsOne() throws {
        let bundle = try SandboxHarness.makeBundle(["app.py": "import time\ndef handler(e, c):\n    time.sleep(30)\n"])
        defer { SandboxHarness.removeBundle(bundle) }
        let o = try run(["run", bundle.string, "--timeout", "1"])
        #expect(o.status == 1)
        #expect(o.stdout.contains("\"errorType\":\"Sandbox.Timedout\""))
        #expect(o.stdout.contains("Task timed out after 1.00 seconds"))
    }

    @Test("usage errors exit 2 with a one-line message naming the file and field", arguments: [
        (["run", "/nonexistent/bundle"], "/nonexistent/bundle"),
        (["run", "examples/hello", "--memory", "64"], "memory"),
        (["run", "examples/hello", "--timeout", "901"], "timeout"),
        (["run", "examples/hello", "--event", "{not json"], "not valid JSON"),
        (["run", "examples/hello", "--env", "NOEQUALS"], "KEY=VALUE"),
        (["run"], "bundle"),
    ])
    func usageErrors(arguments: [String], mention: String) throws {
        let o = try run(arguments)
        #expect(o.status == 2, "\(o.stderr)")
        #expect(o.stderr.contains(mention), "\(o.stderr)")
        #expect(o.stdout.isEmpty)
    }

    @Test("a malformed manifest exits 2 and names fnbox.toml and the field")
    func badManifest() throws {
        let bundle = try SandboxHarness.makeBundle([
            "fnbox.toml": "runtime = \"python3\"\nhandler = \"app.handler\"\nmemory = 99999\n",
            "app.py": "def handler(e, c): return 1\n",
        ])
        defer { SandboxHarness.removeBundle(bundle) }
        let o = try run(["run", bundle.string])
        #expect(o.status == 2)
        #expect(o.stderr.contains("fnbox.toml"))
        #expect(o.stderr.contains("memory"))
    }

    @Test("SIGTERM during a call kills the sandbox and leaves nothing behind", .timeLimit(.minutes(1)))
    func sigterm() throws {
        let harness = try SandboxHarness()
        let bundle = try SandboxHarness.makeBundle(["app.py": "import time\ndef handler(e, c):\n    print('started', flush=True)\n    time.sleep(60)\n"])
        defer { SandboxHarness.removeBundle(bundle) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.fnboxBinary())
        process.arguments = ["run", bundle.string, "--timeout", "60"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until the sandbox exists (its cgroup appears), then interrupt.
        let deadline = Date().addingTimeInterval(10)
        while harness.leftoverCgroups().isEmpty && Date() < deadline { usleep(20_000) }
        #expect(!harness.leftoverCgroups().isEmpty, "the sandbox never started, so the check below proves nothing")
        usleep(300_000)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGTERM)
        expectNothingLeftBehind(harness)
    }
}
