import FnboxTestSupport
import Foundation
import SystemPackage
import Testing

/// The built `fnbox` binary against a real fnboxd binary, as a person or a script would use them.
@Suite("fnbox CLI against fnboxd", .serialized, .requiresRoot)
struct CLITests {
    static var hello: String { Binaries.repositoryRoot.appendingPathComponent("examples/hello").path }

    /// A copy of examples/hello whose handler answers `{"version": 2, ...}`.
    static func changedHello() throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("fnbox-hello-\(UUID().uuidString.prefix(8))")
        try FileManager.default.copyItem(atPath: hello, toPath: copy.path)
        try """
        def handler(event, context):
            print("version two")
            return {"version": 2, "name": event.get("name")}
        """.write(to: copy.appendingPathComponent("app.py"), atomically: true, encoding: .utf8)
        return copy
    }

    @Test("deploy, invoke with --event and --log, deploy changed code, list, status, delete, then invoke fails with ResourceNotFoundException")
    func lifecycle() throws {
        try DaemonProcess.with { d in
            let socket = ["--socket", d.socketPath]
            #expect(d.log.contains("cgroup layout") && d.log.contains("memory: v"), "fnboxd logs the layout at start-up: \(d.log)")
            let deployed = try runFnbox(["deploy", Self.hello] + socket)
            #expect(deployed.status == 0, "\(deployed)")
            #expect(deployed.stdout.hasPrefix("created hello: python3.11 app.handler, 128 MB, 3 s"), "\(deployed)")

            let invoked = try runFnbox(["invoke", "hello", "--event", #"{"name":"fnbox"}"#, "--log"] + socket)
            #expect(invoked.status == 0, "\(invoked)")
            #expect(invoked.json as? [String: String] == ["message": "Hello, fnbox!"], "\(invoked)")
            #expect(invoked.stderr.contains("saying hello to fnbox"), "\(invoked)")
            #expect(invoked.stderr.contains("REPORT RequestId:"), "\(invoked)")
            #expect(invoked.stderr.contains("Init Duration"), "a first call is a cold start: \(invoked)")

            // Without --log nothing is printed on stderr; stdin is the event.
            let quiet = try runFnbox(["invoke", "hello"] + socket, stdin: #"{"name":"stdin"}"#)
            #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet)")
            #expect(quiet.json as? [String: String] == ["message": "Hello, stdin!"], "\(quiet)")

            let changed = try Self.changedHello()
            defer { try? FileManager.default.removeItem(at: changed) }
            let redeployed = try runFnbox(["deploy", changed.path] + socket)
            #expect(redeployed.status == 0, "\(redeployed)")
            #expect(redeployed.stdout.hasPrefix("updated hello:"), "\(redeployed)")
            let second = try runFnbox(["invoke", "hello", "--event", #"{"name":"again"}"#, "--log"] + socket)
            #expect(second.status == 0, "\(second)")
            let answer = second.json as? [String: Any]
            #expect(answer?["version"] as? Int == 2 && answer?["name"] as? String == "again", "\(second)")
            #expect(second.stderr.contains("version two") && second.stderr.contains("REPORT RequestId:"), "\(second)")

            let listed = try runFnbox(["list"] + socket)
            #expect(listed.status == 0, "\(listed)")
            let lines = listed.stdout.split(separator: "\n")
            #expect(lines.first?.hasPrefix("NAME") == true && lines.count == 2, "\(listed)")
            #expect(lines.last?.hasPrefix("hello ") == true && lines.last?.contains("python3.11") == true, "\(listed)")

            // The warm instance of the new code is idle now.
            let status = try runFnbox(["status"] + socket)
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.contains("instances  1 (1 idle, 0 busy)"), "\(status)")
            #expect(status.stdout.contains("memory     128 MB in use of 4096 MB budget"), "\(status)")
            #expect(status.stdout.contains("cgroups    ") && status.stdout.contains("memory: v"), "\(status)")
            #expect(status.stdout.contains("hello     1     0     128 MB"), "\(status)")

            let deleted = try runFnbox(["delete", "hello"] + socket)
            #expect(deleted.status == 0 && deleted.stdout == "deleted hello\n", "\(deleted)")
            let gone = try runFnbox(["invoke", "hello"] + socket)
            #expect(gone.status == 1, "\(gone)")
            #expect(gone.stderr.hasPrefix("fnbox: ResourceNotFoundException: Function not found: "), "\(gone)")
            #expect(gone.stdout.isEmpty, "\(gone)")
            let listedAfter = try runFnbox(["list"] + socket)
            #expect(listedAfter.stdout == "no functions deployed\n", "\(listedAfter)")
            let deletedTwice = try runFnbox(["delete", "hello"] + socket)
            #expect(deletedTwice.status == 1 && deletedTwice.stderr.hasPrefix("fnbox: ResourceNotFoundException: "), "\(deletedTwice)")
        }
    }

    @Test("--json prints the daemon's JSON: deploy, list, status, invoke and delete all parse")
    func jsonOutput() throws {
        try DaemonProcess.with { d in
            let socket = ["--socket", d.socketPath, "--json"]
            let deployed = try runFnbox(["deploy", Self.hello] + socket)
            let configuration = deployed.json as? [String: Any]
            #expect(configuration?["FunctionName"] as? String == "hello", "\(deployed)")
            #expect(configuration?["Runtime"] as? String == "python3.11", "\(deployed)")
            #expect(configuration?["Handler"] as? String == "app.handler", "\(deployed)")

            let invoked = try runFnbox(["invoke", "hello", "--event", #"{"name":"json"}"#] + socket)
            #expect(invoked.json as? [String: String] == ["message": "Hello, json!"], "\(invoked)")

            let listed = try runFnbox(["list"] + socket)
            let functions = (listed.json as? [String: Any])?["Functions"] as? [[String: Any]]
            #expect(functions?.map { $0["FunctionName"] as? String } == ["hello"], "\(listed)")

            let status = try runFnbox(["status"] + socket)
            let object = status.json as? [String: Any]
            #expect(object?["Instances"] as? Int == 1 && object?["Idle"] as? Int == 1, "\(status)")
            #expect((object?["CgroupLayout"] as? String)?.contains("host") == true, "\(status)")
            #expect((object?["Functions"] as? [[String: Any]])?.first?["FunctionName"] as? String == "hello", "\(status)")

            let deleted = try runFnbox(["delete", "hello"] + socket)
            #expect(deleted.json as? [String: Bool] == ["Deleted": true], "\(deleted)")
        }
    }

    @Test("a .zip is deployed as it is, under --name, and a function error exits 1 with the error payload")
    func zipAndFunctionError() throws {
        try DaemonProcess.with { d in
            let scratch = BundleFixtures.makeScratchDirectory("fnbox-cli-zip")
            defer { BundleFixtures.remove(scratch) }
            var zip = RawZipWriter()
            zip.file("app.py", "def handler(event, context):\n    raise ValueError('no ' + event['what'])\n")
            let path = scratch.appending("failing.zip")
            zip.write(to: path)
            let deployed = try runFnbox(["deploy", path.string, "--name", "failing", "--socket", d.socketPath])
            #expect(deployed.status == 0 && deployed.stdout.hasPrefix("created failing: python3.11 app.handler"), "\(deployed)")
            let invoked = try runFnbox(["invoke", "failing", "--event", #"{"what":"luck"}"#, "--socket", d.socketPath])
            #expect(invoked.status == 1, "\(invoked)")
            let error = invoked.json as? [String: Any]
            #expect(error?["errorType"] as? String == "ValueError" && error?["errorMessage"] as? String == "no luck", "\(invoked)")
        }
    }

    @Test("an exec bundle deploys as provided.al2023 and its bootstrap answers through the daemon")
    func execBundle() throws {
        try DaemonProcess.with { d in
            let echo = Binaries.repositoryRoot.appendingPathComponent("examples/exec-echo").path
            let deployed = try runFnbox(["deploy", echo, "--socket", d.socketPath])
            #expect(deployed.status == 0 && deployed.stdout.hasPrefix("created exec-echo: provided.al2023 bootstrap"), "\(deployed)")
            #expect(deployed.stderr.isEmpty, "\(deployed)")
            let invoked = try runFnbox(["invoke", "exec-echo", "--log", "--socket", d.socketPath], stdin: #"{"n": 3}"#)
            #expect(invoked.status == 0, "\(invoked)")
            #expect((invoked.json as? [String: Any])?["echo"] as? [String: Int] == ["n": 3], "\(invoked)")
            #expect(invoked.stderr.contains("exec-echo: received 8 bytes") && invoked.stderr.contains("REPORT RequestId:"), "\(invoked)")
        }
    }

    @Test("FNBOX_SOCKET names the socket when --socket is not given")
    func socketFromEnvironment() throws {
        try DaemonProcess.with { d in
            let deployed = try runFnbox(["deploy", Self.hello], environment: ["FNBOX_SOCKET": d.socketPath])
            #expect(deployed.status == 0, "\(deployed)")
            let listed = try runFnbox(["list"], environment: ["FNBOX_SOCKET": d.socketPath])
            #expect(listed.status == 0 && listed.stdout.contains("hello"), "\(listed)")
            // --socket wins over the environment.
            let flagWins = try runFnbox(["list", "--socket", d.socketPath], environment: ["FNBOX_SOCKET": "/nonexistent/fnboxd.sock"])
            #expect(flagWins.status == 0 && flagWins.stdout.contains("hello"), "\(flagWins)")
        }
    }

    @Test("no daemon on the socket: exit 1 with a message naming the socket", arguments: [
        ["status", "--socket", "/tmp/fnbox-no-such-dir/fnboxd.sock"], ["list", "--json", "--socket", "/tmp/fnbox-no-such-dir/fnboxd.sock"],
    ])
    func unreachableSocket(arguments: [String]) throws {
        let result = try runFnbox(arguments)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.hasPrefix("fnbox: cannot connect to fnboxd at '/tmp/fnbox-no-such-dir/fnboxd.sock': No such file or directory"), "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
    }

    @Test("a stale socket (nobody listening) is reported by FNBOX_SOCKET's path too")
    func staleSocketFromEnvironment() throws {
        let path = "/tmp/fnbox-stale-\(UUID().uuidString.prefix(8)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, byte) in path.utf8.enumerated() { raw[i] = byte } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
        defer { unlink(path) }
        try #require(bound == 0)
        let result = try runFnbox(["status"], environment: ["FNBOX_SOCKET": path])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.hasPrefix("fnbox: cannot connect to fnboxd at '\(path)': Connection refused"), "\(result)")
    }

    @Test("usage errors exit 2: both --event and --event-file, an event that is not JSON, a bundle that does not exist")
    func usageErrors() throws {
        let both = try runFnbox(["invoke", "hello", "--event", "{}", "--event-file", "/dev/null", "--socket", "/tmp/none.sock"])
        #expect(both.status == 2 && both.stderr.contains("give --event or --event-file, not both"), "\(both)")
        let notJSON = try runFnbox(["invoke", "hello", "--event", "{nope", "--socket", "/tmp/none.sock"])
        #expect(notJSON.status == 2 && notJSON.stderr.contains("--event: the event is not valid JSON"), "\(notJSON)")
        let missing = try runFnbox(["deploy", "/tmp/fnbox-no-such-bundle", "--socket", "/tmp/none.sock"])
        #expect(missing.status == 2 && missing.stderr.contains("bundle '/tmp/fnbox-no-such-bundle' does not exist"), "\(missing)")
    }
}
