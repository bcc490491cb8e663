@testable import FnboxClient
import FnboxAPI
import FnboxRuntime
import FnboxTestSupport
import Foundation
import Testing

@Suite("FnboxClient without a daemon")
struct ClientUnitTests {
    @Test("the socket is --socket, else a non-empty FNBOX_SOCKET, else /run/fnbox/fnboxd.sock")
    func socketPath() {
        #expect(FnboxClient.socketPath(flag: "/a.sock", environment: ["FNBOX_SOCKET": "/b.sock"]) == "/a.sock")
        #expect(FnboxClient.socketPath(flag: nil, environment: ["FNBOX_SOCKET": "/b.sock"]) == "/b.sock")
        #expect(FnboxClient.socketPath(flag: nil, environment: ["FNBOX_SOCKET": ""]) == "/run/fnbox/fnboxd.sock")
        #expect(FnboxClient.socketPath(flag: nil, environment: [:]) == "/run/fnbox/fnboxd.sock")
    }

    @Test("examples deploy with Lambda's runtime names and their manifest's settings")
    func deployments() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples")
        let hello = try FunctionDeployment(bundle: .init(examples.appendingPathComponent("hello").path))
        #expect(hello.name == "hello" && hello.runtime == "python3.11" && hello.handler == "app.handler")
        #expect(hello.memoryMB == 128 && hello.timeoutSeconds == 3 && !hello.zip.isEmpty)
        let echo = try FunctionDeployment(bundle: .init(examples.appendingPathComponent("exec-echo").path), name: "echo2")
        #expect(echo.name == "echo2" && echo.runtime == "provided.al2023" && echo.handler == "bootstrap")
        #expect(echo.notDeployed.isEmpty)
        let request = echo.createRequest
        #expect(request.FunctionName == "echo2" && request.Runtime == "provided.al2023" && request.Code.ZipFile == echo.zipBase64)
    }

    @Test("an exec handler other than bootstrap is reported as not deployed: fnboxd starts bootstrap")
    func execHandlerWarning() throws {
        let dir = BundleFixtures.makeScratchDirectory("fnbox-deployment")
        defer { BundleFixtures.remove(dir) }
        BundleFixtures.writeFile(dir.appending("run.sh"), "#!/bin/sh\ncat\n", mode: 0o755)
        BundleFixtures.writeFile(dir.appending("fnbox.toml"), "runtime = \"exec\"\nhandler = \"run.sh\"\n")
        let deployment = try FunctionDeployment(bundle: dir)
        #expect(deployment.runtime == "provided.al2023")
        #expect(deployment.notDeployed.count == 1 && deployment.notDeployed[0].hasPrefix("handler run.sh "))
    }

    @Test("a Lambda error is read from x-amzn-ErrorType and message or Message")
    func errors() {
        let upper = UnixSocketHTTPClient.Response(
            status: 404, headers: [("x-amzn-ErrorType", "ResourceNotFoundException")],
            body: Array(#"{"Type":"User","Message":"Function not found: arn"}"#.utf8))
        #expect(FnboxClientError.from(upper).description == "ResourceNotFoundException: Function not found: arn")
        let lower = UnixSocketHTTPClient.Response(
            status: 429, headers: [("X-Amzn-Errortype", "TooManyRequestsException:http://internal")],
            body: Array(#"{"Type":"User","message":"Rate Exceeded.","Reason":"x"}"#.utf8))
        #expect(FnboxClientError.from(lower) == .daemon(status: 429, type: "TooManyRequestsException", message: "Rate Exceeded."))
    }

    @Test("a table pads every column but the last to its widest cell")
    func table() {
        let table = TextTable(header: ["NAME", "MEMORY"], rows: [["hello", "128 MB"], ["x", "1 MB"]])
        #expect(table.rendered == "NAME   MEMORY\nhello  128 MB\nx      1 MB\n")
    }
}
