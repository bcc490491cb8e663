@testable import FnboxServer
import Foundation
import Testing

@Suite("fnboxd error responses", .serialized)
struct ErrorResponseTests {
    @Test("unknown function: 404 ResourceNotFoundException with the invoke ARN and x-amzn-ErrorType")
    func unknownFunction() async throws {
        try await DaemonHarness.with { d in
            let response = try await d.invoke("ghost")
            #expect(response.status == 404)
            #expect(response.header("x-amzn-ErrorType") == "ResourceNotFoundException")
            #expect(response.json?["Type"] as? String == "User")
            #expect(response.json?["Message"] as? String == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:ghost:$LATEST")

            #expect(try await d.createPython("echo", files: ["app.py": Handlers.echo]).status == 201)
            let byARN = try await d.invoke("arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aecho", "1")
            #expect(byARN.status == 200)
            #expect(byARN.text == "1")
            let latest = try await d.invoke("echo%3A%24LATEST", "2")
            #expect(latest.text == "2")
            let version = try await d.request("POST", "/2015-03-31/functions/echo/invocations?Qualifier=7", body: Array("{}".utf8))
            #expect(version.status == 404)
            #expect(version.json?["Message"] as? String == "Function not found: arn:aws:lambda:us-east-1:000000000000:function:echo:7")
        }
    }

    @Test("malformed JSON: 400 InvalidRequestContentException, and boto3's Invoke without Content-Type is accepted")
    func malformedJSON() async throws {
        try await DaemonHarness.with { d in
            #expect(try await d.createPython("echo", files: ["app.py": Handlers.echo]).status == 201)
            let bad = try await d.invoke("echo", #"{"a":"#)
            #expect(bad.status == 400)
            #expect(bad.header("x-amzn-ErrorType") == "InvalidRequestContentException")
            #expect((bad.json?["message"] as? String)?.hasPrefix("Could not parse request body into json") == true)
            let badCreate = try await d.request("POST", "/2015-03-31/functions", body: Array("{nope".utf8))
            #expect(badCreate.status == 400)
            #expect(badCreate.header("x-amzn-ErrorType") == "InvalidRequestContentException")
            let good = try await d.invoke("echo", #"{"a": 1}"#)
            #expect(good.status == 200)
            #expect(good.text == #"{"a": 1}"#)
            let empty = try await d.invoke("echo", "")
            #expect(empty.text == "{}")
        }
    }

    @Test("an oversized invoke body gets 413 before it is read whole, the daemon still answers, and a 7 MB response is a function error")
    func oversizedBody() async throws {
        try await DaemonHarness.with { d in
            #expect(try await d.createPython("echo", files: ["app.py": Handlers.echo]).status == 201)
            let path = d.socketPath
            // Only the head is sent: the answer must come without the 7 MB body.
            let refused = try await runBlockingThrowing {
                let client = UnixHTTPClient(path: path)
                try client.sendHead("POST", "/2015-03-31/functions/echo/invocations", contentLength: 7_000_000)
                return try client.readResponse()
            }
            #expect(refused.status == 413)
            #expect(refused.header("x-amzn-ErrorType") == "RequestEntityTooLargeException")
            #expect(refused.json?["message"] as? String == "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
            // A chunked body has no Content-Length: it is counted while it streams.
            let chunked = try await runBlockingThrowing {
                let client = UnixHTTPClient(path: path)
                try client.connectIfNeeded()
                try client.writeAll(Array("POST /2015-03-31/functions/echo/invocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))
                let chunk = [UInt8](repeating: 0x20, count: 1 << 20)
                for _ in 0..<7 {
                    guard (try? client.writeAll(Array("100000\r\n".utf8) + chunk + Array("\r\n".utf8))) != nil else { break }
                }
                return try client.readResponse()
            }
            #expect(chunked.status == 413)
            #expect(try await d.invoke("echo", #""still here""#).text == #""still here""#)

            // A response over 6 MB is a function error, as Lambda reports it.
            #expect(try await d.createPython("big", files: ["app.py": "def handler(e, c):\n    return 'a' * 7_000_000\n"]).status == 201)
            let big = try await d.invoke("big")
            #expect(big.status == 200)
            #expect(big.header("X-Amz-Function-Error") == "Unhandled")
            #expect(big.json?["errorType"] as? String == "Function.ResponseSizeTooLarge", "\(big.text.prefix(200))")
        }
    }

    @Test("hostile and broken zips are refused with 400 InvalidParameterValueException and nothing is deployed")
    func hostileZip() async throws {
        try await DaemonHarness.with { d in
            let escaping = try ZipMaker.base64(["../escape.py": "x = 1\n", "app.py": Handlers.echo])
            let create = #"{"FunctionName":"evil","Runtime":"python3.12","Role":"arn:aws:iam::000000000000:role/r","Handler":"app.handler","Code":{"ZipFile":"\#(escaping)"}}"#
            let refused = try await d.requestJSON("POST", "/2015-03-31/functions", create)
            #expect(refused.status == 400)
            #expect(refused.header("x-amzn-ErrorType") == "InvalidParameterValueException")
            #expect((refused.json?["message"] as? String)?.contains("../escape.py") == true, "\(refused.text)")
            #expect(!FileManager.default.fileExists(atPath: d.stateDir + "/escape.py"))
            #expect(!FileManager.default.fileExists(atPath: d.stateDir + "/unpacked/escape.py"))

            let notZip = Data("this is not a zip".utf8).base64EncodedString()
            let broken = try await d.requestJSON("POST", "/2015-03-31/functions",
                #"{"FunctionName":"broken","Runtime":"python3.12","Role":"r","Handler":"app.handler","Code":{"ZipFile":"\#(notZip)"}}"#)
            #expect(broken.status == 400)
            #expect(broken.json?["message"] as? String == "Could not unzip uploaded file. Please check your file, then try to upload again.")

            let badRuntime = try await d.requestJSON("POST", "/2015-03-31/functions",
                #"{"FunctionName":"rt","Runtime":"cobol","Role":"r","Handler":"app.handler","Code":{"ZipFile":"\#(notZip)"}}"#)
            #expect(badRuntime.status == 400)
            #expect(badRuntime.header("x-amzn-ErrorType") == "InvalidParameterValueException")

            let list = try await d.request("GET", "/2015-03-31/functions")
            #expect((list.json?["Functions"] as? [Any])?.isEmpty == true)
        }
    }
}

@Suite("fnboxd HTTP", .serialized)
struct HTTPConnectionTests {
    @Test("HTTP/1.1 keep-alive: several requests, including an error, share one connection")
    func keepAlive() async throws {
        try await DaemonHarness.with { d in
            #expect(try await d.createPython("echo", files: ["app.py": Handlers.echo]).status == 201)
            let path = d.socketPath
            let statuses = try await runBlockingThrowing { () throws -> [Int] in
                let client = UnixHTTPClient(path: path)
                var statuses: [Int] = []
                for payload in [#"{"n": 1}"#, "not json", #"{"n": 3}"#] {
                    let response = try client.send("POST", "/2015-03-31/functions/echo/invocations", body: Array(payload.utf8))
                    statuses.append(response.status)
                    guard client.isConnected else { throw UnixHTTPClient.ClientError(description: "server closed the connection") }
                }
                statuses.append(try client.send("GET", "/2015-03-31/functions/nope").status)
                return statuses
            }
            #expect(statuses == [200, 400, 200, 404])
        }
    }
}
