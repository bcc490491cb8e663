import FnboxAPI
@testable import FnboxServer
import Foundation
import Testing

@Suite("fnboxd function lifecycle", .serialized)
struct FunctionLifecycleTests {
    @Test("create, invoke, update code and configuration, delete, each with Lambda's status and shape")
    func lifecycle() async throws {
        try await DaemonHarness.with { d in
            let created = try await d.createPython("life", files: ["app.py": "def handler(e, c):\n    return {'v': 1, 'e': e}\n"])
            #expect(created.status == 201)
            let config = try #require(created.json)
            #expect(config["FunctionName"] as? String == "life")
            #expect(config["FunctionArn"] as? String == "arn:aws:lambda:us-east-1:000000000000:function:life")
            #expect(config["State"] as? String == "Active")
            #expect(config["LastUpdateStatus"] as? String == "Successful")
            #expect((config["CodeSha256"] as? String)?.count == 44)
            let lastModified = try #require(config["LastModified"] as? String)
            #expect(lastModified.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$"#, options: .regularExpression) != nil)

            let again = try await d.createPython("life", files: ["app.py": "x = 1\n"])
            #expect(again.status == 409)
            #expect(again.header("x-amzn-ErrorType") == "ResourceConflictException")
            #expect(again.json?["message"] as? String == "Function already exist: life")

            let first = try await d.invoke("life", #"{"k": "v"}"#, headers: [("X-Amz-Log-Type", "Tail")])
            #expect(first.status == 200)
            #expect(first.text == #"{"v": 1, "e": {"k": "v"}}"#)
            #expect(first.header("X-Amz-Executed-Version") == "$LATEST")
            #expect(first.header("X-Amz-Function-Error") == nil)
            let requestID = try #require(first.header("x-amzn-RequestId"))
            let log = String(decoding: Data(base64Encoded: try #require(first.header("X-Amz-Log-Result"))) ?? Data(), as: UTF8.self)
            #expect(log.hasPrefix("START RequestId: \(requestID) Version: $LATEST\n"))
            #expect(log.contains("REPORT RequestId: \(requestID)\t"))
            #expect(log.contains("Init Duration"))

            let dry = try await d.invoke("life", headers: [("X-Amz-Invocation-Type", "DryRun")])
            #expect(dry.status == 204)

            let updated = try await d.requestJSON("PUT", "/2015-03-31/functions/life/code",
                                                  #"{"ZipFile": "\#(try ZipMaker.base64(["app.py": "def handler(e, c):\n    return 2\n"]))"}"#)
            #expect(updated.status == 200)
            #expect(updated.json?["CodeSha256"] as? String != config["CodeSha256"] as? String)
            #expect(try await d.invoke("life").text == "2")

            let reconfigured = try await d.requestJSON("PUT", "/2015-03-31/functions/life/configuration",
                                                       #"{"MemorySize": 256, "Environment": {"Variables": {"GREETING": "hi"}}}"#)
            #expect(reconfigured.status == 200)
            #expect(reconfigured.json?["MemorySize"] as? Int == 256)
            let got = try await d.request("GET", "/2015-03-31/functions/life")
            #expect(got.status == 200)
            #expect((got.json?["Configuration"] as? [String: Any])?["MemorySize"] as? Int == 256)
            let configuration = try await d.request("GET", "/2015-03-31/functions/life/configuration")
            #expect((configuration.json?["Environment"] as? [String: Any])?["Variables"] as? [String: String] == ["GREETING": "hi"])

            let failing = try await d.requestJSON("PUT", "/2015-03-31/functions/life/code",
                                                  #"{"ZipFile": "\#(try ZipMaker.base64(["app.py": "def handler(e, c):\n    raise ValueError('boom')\n"]))"}"#)
            #expect(failing.status == 200)
            let error = try await d.invoke("life")
            #expect(error.status == 200)
            #expect(error.header("X-Amz-Function-Error") == "Unhandled")
            #expect(error.json?["errorType"] as? String == "ValueError")

            let deleted = try await d.request("DELETE", "/2015-03-31/functions/life")
            #expect(deleted.status == 204)
            let gone = try await d.request("GET", "/2015-03-31/functions/life")
            #expect(gone.status == 404)
            #expect(gone.header("x-amzn-ErrorType") == "ResourceNotFoundException")
            #expect(gone.json?["Message"] as? String == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:life")
            #expect(await d.daemon?.poolStats().idle == 0)
        }
    }

    @Test("a restarted daemon still lists and runs its functions")
    func restartKeepsFunctions() async throws {
        let harness = DaemonHarness()
        try await harness.start()
        do {
            #expect(try await harness.createPython("survivor", files: ["app.py": Handlers.echo]).status == 201)
            await harness.stop()
            try await harness.start()
            let list = try await harness.request("GET", "/2015-03-31/functions/")
            #expect(list.status == 200)
            let names = (list.json?["Functions"] as? [[String: Any]])?.compactMap { $0["FunctionName"] as? String }
            #expect(names == ["survivor"])
            #expect(try await harness.createPython("survivor2", files: ["app.py": Handlers.echo]).status == 201)
            let page = try await harness.request("GET", "/2015-03-31/functions?MaxItems=1")
            #expect((page.json?["Functions"] as? [[String: Any]])?.first?["FunctionName"] as? String == "survivor")
            #expect(page.json?["NextMarker"] as? String == "survivor")
            let rest = try await harness.request("GET", "/2015-03-31/functions?MaxItems=1&Marker=survivor")
            #expect((rest.json?["Functions"] as? [[String: Any]])?.first?["FunctionName"] as? String == "survivor2")
            #expect(rest.json?["NextMarker"] == nil)
            let echoed = try await harness.invoke("survivor", #"[1,2,3]"#)
            #expect(echoed.status == 200)
            #expect(echoed.text == "[1, 2, 3]")
        } catch {
            await harness.tearDown()
            throw error
        }
        await harness.tearDown()
    }

    @Test("the socket is mode 0660 and a second daemon never takes over a live socket")
    func socketIsGuarded() async throws {
        try await DaemonHarness.with { d in
            var st = stat()
            #expect(lstat(d.socketPath, &st) == 0)
            #expect(st.st_mode & 0o777 == 0o660)
            let second = DaemonHarness(stateDir: d.stateDir + "-second")
            await #expect(throws: (any Error).self) {
                try await FnboxDaemon.start(
                    FnboxDaemon.Configuration(socketPath: d.socketPath, stateDir: second.stateDir),
                    options: try DaemonHarness.instanceOptions())
            }
            try? FileManager.default.removeItem(atPath: second.stateDir)
            let health = try await d.request("GET", "/healthz")
            #expect(health.status == 200)
        }
    }
}

@Suite("fnboxd invocation types", .serialized)
struct InvocationTypeTests {
    @Test("Event answers 202 with a request id and runs the call once in the background; an unknown type is 400")
    func eventRunsInBackground() async throws {
        try await DaemonHarness.with { d in
            #expect(try await d.createPython("ev", files: ["app.py": Handlers.counter]).status == 201)
            let accepted = try await d.invoke("ev", #"{"sleep": 0.2}"#, headers: [("X-Amz-Invocation-Type", "Event")])
            #expect(accepted.status == 202)
            #expect(accepted.header("x-amzn-RequestId")?.count == 36)
            #expect(accepted.body.isEmpty)
            var ran = false
            for _ in 0..<50 where !ran {
                try await Task.sleep(for: .milliseconds(100))
                ran = try await d.request("GET", "/metrics").text.contains(#"fnbox_invocations_total{function="ev",outcome="success"} 1"#)
            }
            #expect(ran)
            let bogus = try await d.invoke("ev", headers: [("X-Amz-Invocation-Type", "Sometimes")])
            #expect(bogus.status == 400)
            #expect(bogus.header("x-amzn-ErrorType") == "InvalidParameterValueException")
        }
    }
}
