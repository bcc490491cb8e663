import FnboxAPI
@testable import FnboxServer
import Foundation
import Testing

@Suite("fnboxd async invocations", .serialized)
struct AsyncInvokeTests {
    static let arnPrefix = "arn:aws:lambda:us-east-1:000000000000:function:"

    @Test("Event answers 202 once stored, while the handler still sleeps; the side effect shows up later in a mounted dir")
    func eventIsAcceptedBeforeItRuns() async throws {
        let out = try SideEffectDir()
        defer { out.remove() }
        try await DaemonHarness.with(.async(out: out)) { d in
            #expect(try await d.createPython("slowwrite", files: ["app.py": AsyncHandlers.sideEffect, "fnbox.toml": out.manifest]).status == 201)
            let start = Date()
            let accepted = try await d.invokeEvent("slowwrite", #"{"sleep": 1.5, "k": "v"}"#)
            let elapsed = Date().timeIntervalSince(start)
            #expect(accepted.status == 202)
            #expect(accepted.body.isEmpty)
            let requestID = try #require(accepted.header("x-amzn-RequestId"))
            #expect(requestID.count == 36)
            #expect(out.read(requestID) == nil, "the 202 came after \(elapsed) s, once the handler had finished sleeping")
            #expect(await eventually(15) { out.read(requestID) != nil })
            let written = try #require(out.read(requestID))
            #expect(written == #"{"sleep": 1.5, "k": "v"}"#)
            #expect(try await eventually(5) { try await d.request("GET", "/metrics").text.contains("fnbox_async_events_queued 0") })

            // The CLI's --async is the same Event invocation: it prints the request id, and the event runs.
            let cli = try await Self.runCLI(["invoke", "slowwrite", "--async", "--event", #"{"sleep": 0, "k": "cli"}"#, "--socket", d.socketPath])
            #expect(cli.status == 0, "\(cli.output)")
            let queued = try #require(cli.output.split(separator: "\n").first { $0.hasPrefix("queued ") })
            let cliRequestID = String(queued.dropFirst("queued ".count))
            #expect(cliRequestID.count == 36)
            #expect(await eventually(15) { out.read(cliRequestID) == #"{"sleep": 0, "k": "cli"}"# })
        }
    }

    @Test("a failing event is retried the configured number of times with growing delays under one request id, then dead-lettered; the on-failure destination gets Lambda's record; a redrive runs it again")
    func retriesThenDeadLetterAndDestination() async throws {
        let out = try SideEffectDir()
        defer { out.remove() }
        try await DaemonHarness.with(.async(out: out, retryBase: .milliseconds(400))) { d in
            #expect(try await d.createPython("flaky", files: ["app.py": AsyncHandlers.flaky, "fnbox.toml": out.manifest]).status == 201)
            #expect(try await d.createPython("sink", files: ["app.py": AsyncHandlers.sink, "fnbox.toml": out.manifest]).status == 201)
            let put = try await d.eventConfig("PUT", "flaky",
                #"{"MaximumRetryAttempts": 2, "DestinationConfig": {"OnFailure": {"Destination": "\#(Self.arnPrefix)sink"}}}"#)
            #expect(put.status == 200, "\(put.text)")

            let accepted = try await d.invokeEvent("flaky", #"{"n": 7}"#)
            #expect(accepted.status == 202)
            let requestID = try #require(accepted.header("x-amzn-RequestId"))
            #expect(try await eventually(20) { try await !d.deadLetters("flaky").isEmpty })

            let lines = (out.read("attempts.log") ?? "").split(separator: "\n").map { $0.split(separator: " ") }
            #expect(lines.count == 3, "attempts: \(lines)")
            #expect(lines.allSatisfy { $0.count == 2 && String($0[1]) == requestID })
            let times = lines.compactMap { Double($0[0]) }
            if times.count == 3 {
                let first = times[1] - times[0], second = times[2] - times[1]
                #expect(first >= 0.4, "first retry after \(first) s")
                #expect(second >= 0.8, "second retry after \(second) s")
                #expect(second > first)
            }

            let letters = try await d.deadLetters("flaky")
            #expect(letters.count == 1)
            let letter = try #require(letters.first)
            #expect(letter["Condition"] as? String == "RetriesExhausted")
            #expect(letter["ApproximateInvokeCount"] as? Int == 3)
            #expect(letter["RequestId"] as? String == requestID)
            #expect(letter["RequestPayload"] as? String == #"{"n": 7}"#)
            #expect((letter["ResponsePayload"] as? String)?.contains("flaky 7") == true)
            #expect(letter["FunctionError"] as? String == "Unhandled")

            #expect(await eventually(10) { out.read("record-RetriesExhausted.json") != nil })
            let recordText = try #require(out.read("record-RetriesExhausted.json"))
            let record = try #require(try JSONSerialization.jsonObject(with: Data(recordText.utf8)) as? [String: Any])
            // Lambda's key order, which the sink's json.dumps keeps.
            let order = ["\"version\"", "\"timestamp\"", "\"requestContext\"", "\"requestPayload\"", "\"responseContext\"", "\"responsePayload\""]
                .map { recordText.range(of: $0)?.lowerBound }
            #expect(order.allSatisfy { $0 != nil } && order.compactMap { $0 } == order.compactMap { $0 }.sorted())
            #expect(record["version"] as? String == "1.0")
            let timestamp = try #require(record["timestamp"] as? String)
            #expect(timestamp.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)
            let context = try #require(record["requestContext"] as? [String: Any])
            #expect(context["requestId"] as? String == requestID)
            #expect(context["functionArn"] as? String == Self.arnPrefix + "flaky:$LATEST")
            #expect(context["condition"] as? String == "RetriesExhausted")
            #expect(context["approximateInvokeCount"] as? Int == 3)
            #expect(record["requestPayload"] as? [String: Int] == ["n": 7])
            let responseContext = try #require(record["responseContext"] as? [String: Any])
            #expect(responseContext["statusCode"] as? Int == 200)
            #expect(responseContext["executedVersion"] as? String == "$LATEST")
            #expect(responseContext["functionError"] as? String == "Unhandled")
            let responsePayload = try #require(record["responsePayload"] as? [String: Any])
            #expect(responsePayload["errorType"] as? String == "ValueError")
            #expect(responsePayload["errorMessage"] as? String == "flaky 7")

            let metrics = try await d.request("GET", "/metrics").text
            #expect(metrics.contains(#"fnbox_async_retries_total{function="flaky"} 2"#))
            #expect(metrics.contains(#"fnbox_async_dead_letters_total{function="flaky",condition="RetriesExhausted"} 1"#))
            #expect(metrics.contains("fnbox_async_dead_letters_stored 1"))

            // Fix the function, redrive the letter: it runs again under its request id and succeeds.
            let fixed = try await d.requestJSON("PUT", "/2015-03-31/functions/flaky/code",
                #"{"ZipFile": "\#(try ZipMaker.base64(["app.py": AsyncHandlers.sideEffect, "fnbox.toml": out.manifest]))"}"#)
            #expect(fixed.status == 200)
            let id = try #require(letter["Id"] as? Int)
            let redriven = try await d.request("POST", "/fnbox/functions/flaky/dead-letters/\(id)/redrive")
            #expect(redriven.status == 202)
            #expect(redriven.header("x-amzn-RequestId") == requestID)
            #expect(await eventually(15) { out.read(requestID) == #"{"n": 7}"# })
            #expect(try await d.deadLetters("flaky").isEmpty)
            let again = try await d.request("POST", "/fnbox/functions/flaky/dead-letters/\(id)/redrive")
            #expect(again.status == 404)
        }
    }

    @Test("an on-success destination receives Lambda's Success record, without functionError")
    func onSuccessDestination() async throws {
        let out = try SideEffectDir()
        defer { out.remove() }
        try await DaemonHarness.with(.async(out: out)) { d in
            #expect(try await d.createPython("fine", files: ["app.py": Handlers.echo]).status == 201)
            #expect(try await d.createPython("sink", files: ["app.py": AsyncHandlers.sink, "fnbox.toml": out.manifest]).status == 201)
            #expect(try await d.eventConfig("PUT", "fine", #"{"DestinationConfig": {"OnSuccess": {"Destination": "sink"}}}"#).status == 200)
            let accepted = try await d.invokeEvent("fine", #"{"hello": "world"}"#)
            let requestID = try #require(accepted.header("x-amzn-RequestId"))
            #expect(await eventually(15) { out.read("record-Success.json") != nil })
            let record = try #require(try JSONSerialization.jsonObject(with: Data((out.read("record-Success.json") ?? "").utf8)) as? [String: Any])
            let context = try #require(record["requestContext"] as? [String: Any])
            #expect(context["requestId"] as? String == requestID)
            #expect(context["condition"] as? String == "Success")
            #expect(context["approximateInvokeCount"] as? Int == 1)
            let responseContext = try #require(record["responseContext"] as? [String: Any])
            #expect(responseContext.keys.sorted() == ["executedVersion", "statusCode"])
            #expect(responseContext["statusCode"] as? Int == 200)
            #expect(responseContext["executedVersion"] as? String == "$LATEST")
            #expect(record["responsePayload"] as? [String: String] == ["hello": "world"])
            #expect(record["requestPayload"] as? [String: String] == ["hello": "world"])
        }
    }

    @Test("an event older than MaximumEventAgeInSeconds is given up with EventAgeExceeded and the last response")
    func eventAgeExceeded() async throws {
        let out = try SideEffectDir()
        defer { out.remove() }
        // One second of event age lasts 10 ms: 60 s is 0.6 s, less than the two retry delays (0.25 + 0.5 s).
        try await DaemonHarness.with(.async(out: out, retryBase: .milliseconds(250), ageScale: 0.01)) { d in
            #expect(try await d.createPython("aging", files: ["app.py": AsyncHandlers.flaky, "fnbox.toml": out.manifest]).status == 201)
            #expect(try await d.eventConfig("PUT", "aging", #"{"MaximumEventAgeInSeconds": 60}"#).status == 200)
            #expect(try await d.invokeEvent("aging", #"{"n": 1}"#).status == 202)
            #expect(try await eventually(15) { try await !d.deadLetters("aging").isEmpty })
            let letter = try #require(try await d.deadLetters("aging").first)
            #expect(letter["Condition"] as? String == "EventAgeExceeded")
            let count = letter["ApproximateInvokeCount"] as? Int ?? -1
            #expect((1...2).contains(count))
            #expect((letter["ResponsePayload"] as? String)?.contains("flaky 1") == true)
            let attempts = (out.read("attempts.log") ?? "").split(separator: "\n").count
            #expect(attempts == count)

            // The CLI lists it.
            let cli = try await Self.runCLI(["dead-letters", "aging", "--socket", d.socketPath])
            #expect(cli.status == 0)
            #expect(cli.output.contains("\tEventAgeExceeded\tattempts=\(count)\t"), "\(cli.output)")
            #expect(cli.output.contains("ValueError: flaky 1"), "\(cli.output)")
            let missing = try await Self.runCLI(["dead-letters", "aging", "--redrive", "999", "--socket", d.socketPath])
            #expect(missing.status != 0)
            #expect(missing.output.contains("ResourceNotFoundException: No dead letter 999"), "\(missing.output)")
        }
    }

    @Test("a backlog of slow events for one function leaves an instance for synchronous calls of another (max-instances 2)")
    func backlogDoesNotStarveSyncCalls() async throws {
        let out = try SideEffectDir()
        defer { out.remove() }
        try await DaemonHarness.with(.async(out: out, maxInstances: 2)) { (d: DaemonHarness) async throws in
            #expect(try await d.createPython("slowwrite", files: ["app.py": AsyncHandlers.sideEffect, "fnbox.toml": out.manifest]).status == 201)
            #expect(try await d.createPython("quick", files: ["app.py": Handlers.echo]).status == 201)
            #expect(try await d.invoke("quick", "0").text == "0")  // warm
            for n in 0..<10 { #expect(try await d.invokeEvent("slowwrite", #"{"sleep": 1, "n": \#(n)}"#).status == 202) }
            let started = await eventually(10) { () async -> Bool in
                let busy = await d.daemon?.poolStats().busy ?? 0
                return busy == 1
            }
            #expect(started)
            for n in 1...5 {
                let start = Date()
                #expect(try await d.invoke("quick", "\(n)").text == "\(n)")
                let elapsed = Date().timeIntervalSince(start)
                #expect(elapsed < 0.8, "a synchronous call waited \(elapsed) s behind the backlog (events sleep 1 s)")
            }
            let busy = await d.daemon?.poolStats().busy ?? 0
            #expect(busy <= 1, "async work holds at most max-instances - 1 instances")
        }
    }

    @Test("reserved concurrency 0 gives an event up as ZeroReservedConcurrency; a mount outside --mount-root is a failed attempt with the reason")
    func eventsThatCannotRun() async throws {
        let out = try SideEffectDir()
        defer { out.remove() }
        try await DaemonHarness.with(.async(out: out)) { (d: DaemonHarness) async throws in
            #expect(try await d.createPython("zero", files: ["app.py": Handlers.echo]).status == 201)
            #expect(try await d.requestJSON("PUT", "/2017-10-31/functions/zero/concurrency", #"{"ReservedConcurrentExecutions": 0}"#).status == 200)
            #expect(try await d.invokeEvent("zero", #"{"a": 1}"#).status == 202)
            let outside = "[[mount]]\nsource = \"/usr\"\ntarget = \"/mnt/usr\"\n"
            #expect(try await d.createPython("escape", files: ["app.py": Handlers.echo, "fnbox.toml": outside]).status == 201)
            #expect(try await d.eventConfig("PUT", "escape", #"{"MaximumRetryAttempts": 0}"#).status == 200)
            #expect(try await d.invokeEvent("escape").status == 202)

            let zeroGone = try await eventually(10) { try await !d.deadLetters("zero").isEmpty }
            let escapeGone = try await eventually(10) { try await !d.deadLetters("escape").isEmpty }
            #expect(zeroGone && escapeGone)
            let zero = try #require(try await d.deadLetters("zero").first)
            #expect(zero["Condition"] as? String == "ZeroReservedConcurrency")
            #expect(zero["ApproximateInvokeCount"] as? Int == 0)
            #expect(zero["ResponsePayload"] == nil)
            let escape = try #require(try await d.deadLetters("escape").first)
            #expect(escape["Condition"] as? String == "RetriesExhausted")
            #expect(escape["ApproximateInvokeCount"] as? Int == 1)
            #expect((escape["ResponsePayload"] as? String)?.contains("outside fnboxd's --mount-root") == true, "\(escape)")
        }
    }

    /// Runs the built `fnbox` CLI; stdout and stderr together.
    static func runCLI(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let binary = URL(fileURLWithPath: DaemonProcessTests.binary).deletingLastPathComponent().appendingPathComponent("fnbox").path
        return try await ChildProcess.run(binary, arguments)
    }

    @Test("Event payloads over 1 MB get 413 with Lambda's message; a full queue refuses with 429; nothing is stored for either")
    func limits() async throws {
        let out = try SideEffectDir()
        defer { out.remove() }
        try await DaemonHarness.with(.async(out: out, maxQueuedEvents: 2)) { d in
            #expect(try await d.createPython("slowwrite", files: ["app.py": AsyncHandlers.sideEffect, "fnbox.toml": out.manifest]).status == 201)
            let big = "\"" + String(repeating: "a", count: 1_048_575) + "\""  // 1,048,577 bytes
            let tooLarge = try await d.invokeEvent("slowwrite", big)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.header("x-amzn-ErrorType") == "RequestEntityTooLargeException")
            #expect(tooLarge.json?["message"] as? String
                == "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)")
            #expect(try await d.invokeEvent("slowwrite", #"{"sleep": 2}"#).status == 202)
            #expect(try await d.invokeEvent("slowwrite", #"{"sleep": 2}"#).status == 202)
            let full = try await d.invokeEvent("slowwrite", #"{"sleep": 2}"#)
            #expect(full.status == 429)
            #expect(full.header("x-amzn-ErrorType") == "TooManyRequestsException")
            #expect(try await d.daemon?.events.events(function: "slowwrite").count == 2)
            // Synchronous calls of another function are not starved by the backlog.
            #expect(try await d.createPython("quick", files: ["app.py": Handlers.echo]).status == 201)
            #expect(try await d.invoke("quick", "1").text == "1")
        }
    }

    @Test("a full state dir answers 500 ServiceException, never a 202 for an event it could not store; with space back, 202")
    func fullStateDir() async throws {
        let dir = "/tmp/fnboxd-full-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try #require(mount("tmpfs", dir, "tmpfs", 0, "size=4m") == 0, "mount tmpfs: errno \(errno)")
        defer {
            umount2(dir, Int32(MNT_DETACH))
            rmdir(dir)
        }
        try await DaemonHarness.with(DaemonHarness(stateDir: dir)) { d in
            #expect(try await d.createPython("echo", files: ["app.py": Handlers.echo]).status == 201)
            let filler = dir + "/filler"
            _ = FileManager.default.createFile(atPath: filler, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
            let chunk = Data(count: 64 * 1024)
            var full = false
            while !full {
                do { try handle.write(contentsOf: chunk) } catch { full = true }
            }
            try handle.close()
            // Half a megabyte does not fit in the WAL pages SQLite already has.
            let payload = "\"" + String(repeating: "x", count: 512 * 1024) + "\""
            let refused = try await d.invokeEvent("echo", payload)
            #expect(refused.status == 500)
            #expect(refused.header("x-amzn-ErrorType") == "ServiceException")
            #expect((refused.json?["Message"] as? String)?.hasPrefix("could not store the event") == true, "\(refused.text)")
            #expect(try await d.daemon?.events.events(function: "echo").isEmpty == true)

            unlink(filler)
            let accepted = try await d.invokeEvent("echo", payload)
            #expect(accepted.status == 202, "\(accepted.text)")
        }
    }

    @Test("the event invoke config API: Lambda's paths, shapes, Put replaces, Update merges, and Lambda's errors")
    func configAPI() async throws {
        let out = try SideEffectDir()
        defer { out.remove() }
        try await DaemonHarness.with(.async(out: out)) { d in
            #expect(try await d.createPython("cfg", files: ["app.py": Handlers.echo]).status == 201)
            #expect(try await d.createPython("other", files: ["app.py": Handlers.echo]).status == 201)

            let missing = try await d.eventConfig("GET", "cfg")
            #expect(missing.status == 404)
            #expect(missing.header("x-amzn-ErrorType") == "ResourceNotFoundException")
            #expect(missing.json?["Message"] as? String == "The function \(Self.arnPrefix)cfg:$LATEST doesn't have an EventInvokeConfig")

            let tooMany = try await d.eventConfig("PUT", "cfg", #"{"MaximumRetryAttempts": 3}"#)
            #expect(tooMany.status == 400)
            #expect(tooMany.header("x-amzn-ErrorType") == "ValidationException")
            #expect(tooMany.json?["message"] as? String
                == "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2")
            let young = try await d.eventConfig("PUT", "cfg", #"{"MaximumEventAgeInSeconds": 30}"#)
            #expect(young.status == 400)
            #expect(young.header("x-amzn-ErrorType") == "ValidationException")
            #expect(young.json?["message"] as? String
                == "1 validation error detected: Value '30' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60")
            let empty = try await d.eventConfig("PUT", "cfg", "{}")
            #expect(empty.status == 400)
            #expect(empty.header("x-amzn-ErrorType") == "InvalidParameterValueException")
            #expect(empty.json?["message"] as? String == "You must specify at least one of error handling or destination setting.")
            let selfish = try await d.eventConfig("PUT", "cfg", #"{"DestinationConfig": {"OnFailure": {"Destination": "\#(Self.arnPrefix)cfg"}}}"#)
            #expect(selfish.status == 400)
            #expect(selfish.json?["message"] as? String == "You can't specify the function as a destination for itself.")
            let nowhere = try await d.eventConfig("PUT", "cfg", #"{"DestinationConfig": {"OnSuccess": {"Destination": "\#(Self.arnPrefix)nope"}}}"#)
            #expect(nowhere.status == 400)
            #expect(nowhere.json?["message"] as? String == "The destination ARN \(Self.arnPrefix)nope is invalid.")
            let unknown = try await d.eventConfig("PUT", "ghost", #"{"MaximumRetryAttempts": 1}"#)
            #expect(unknown.status == 404)
            #expect(unknown.json?["Message"] as? String == "The function doesn't exist.")
            #expect(try await d.eventConfig("GET", "cfg").status == 404, "failed puts store nothing")

            let put = try await d.eventConfig("PUT", "cfg",
                #"{"MaximumRetryAttempts": 1, "DestinationConfig": {"OnFailure": {"Destination": "\#(Self.arnPrefix)other"}}}"#)
            #expect(put.status == 200)
            let body = try #require(put.json)
            #expect(body["FunctionArn"] as? String == Self.arnPrefix + "cfg:$LATEST")
            #expect(body["LastModified"] is Double)
            #expect(body["MaximumRetryAttempts"] as? Int == 1)
            #expect(body["MaximumEventAgeInSeconds"] == nil)
            let destinations = try #require(body["DestinationConfig"] as? [String: [String: String]])
            #expect(destinations == ["OnFailure": ["Destination": Self.arnPrefix + "other"], "OnSuccess": [:]])

            let merged = try await d.eventConfig("POST", "cfg", #"{"MaximumEventAgeInSeconds": 120}"#)
            #expect(merged.status == 200)
            #expect(merged.json?["MaximumRetryAttempts"] as? Int == 1)
            #expect(merged.json?["MaximumEventAgeInSeconds"] as? Int == 120)
            #expect((merged.json?["DestinationConfig"] as? [String: [String: String]])?["OnFailure"] == ["Destination": Self.arnPrefix + "other"])

            let replaced = try await d.eventConfig("PUT", "cfg", #"{"MaximumEventAgeInSeconds": 300}"#)
            #expect(replaced.json?["MaximumRetryAttempts"] == nil)
            #expect(replaced.json?["MaximumEventAgeInSeconds"] as? Int == 300)
            #expect((replaced.json?["DestinationConfig"] as? [String: [String: String]]) == ["OnFailure": [:], "OnSuccess": [:]])
            let got = try await d.eventConfig("GET", "cfg")
            #expect(got.status == 200)
            #expect(got.json?["MaximumEventAgeInSeconds"] as? Int == 300)

            let list = try await d.request("GET", "/2019-09-25/functions/cfg/event-invoke-config/list")
            #expect(list.status == 200)
            #expect((list.json?["FunctionEventInvokeConfigs"] as? [[String: Any]])?.count == 1)

            #expect(try await d.eventConfig("DELETE", "cfg").status == 204)
            #expect(try await d.eventConfig("GET", "cfg").status == 404)
            #expect(try await d.eventConfig("DELETE", "cfg").status == 404)
            let noConfigUpdate = try await d.eventConfig("POST", "cfg", #"{"MaximumRetryAttempts": 0}"#)
            #expect(noConfigUpdate.status == 404)
            #expect(noConfigUpdate.json?["Message"] as? String == "The function \(Self.arnPrefix)cfg:$LATEST doesn't have an EventInvokeConfig")
        }
    }
}
