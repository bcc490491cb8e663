@testable import FnboxServer
import Foundation

/// Calls that run the blocking client on a thread of its own: the daemon shares this process
/// and its cooperative pool.
extension DaemonHarness {
    func request(
        _ method: String, _ target: String, body: [UInt8] = [], headers: [(String, String)] = []
    ) async throws -> UnixHTTPClient.Response {
        let path = socketPath
        let sendableHeaders = headers.map { Pair(name: $0.0, value: $0.1) }
        return try await runBlockingThrowing {
            let client = UnixHTTPClient(path: path)
            return try client.send(method, target, body: body, headers: sendableHeaders.map { ($0.name, $0.value) })
        }
    }

    func requestJSON(_ method: String, _ target: String, _ json: String, headers: [(String, String)] = []) async throws -> UnixHTTPClient.Response {
        try await request(method, target, body: Array(json.utf8), headers: headers + [("Content-Type", "application/json")])
    }

    func invoke(_ name: String, _ payload: String = "{}", headers: [(String, String)] = []) async throws -> UnixHTTPClient.Response {
        try await request("POST", "/2015-03-31/functions/\(name)/invocations", body: Array(payload.utf8), headers: headers)
    }

    /// CreateFunction for a Python bundle of `files`.
    func createPython(_ name: String, files: [String: String], handler: String = "app.handler", timeout: Int = 10) async throws -> UnixHTTPClient.Response {
        let body: [String: Any] = [
            "FunctionName": name, "Runtime": "python3.12", "Role": "arn:aws:iam::000000000000:role/test",
            "Handler": handler, "Timeout": timeout, "Code": ["ZipFile": try ZipMaker.base64(files)],
        ]
        return try await request("POST", "/2015-03-31/functions", body: Array(try JSONSerialization.data(withJSONObject: body)))
    }

    struct Pair: Sendable {
        var name: String
        var value: String
    }
}

/// Python handlers the tests deploy.
enum Handlers {
    /// Counts calls per instance; `{"sleep": s}` sleeps first. Answers the count and the instance id.
    static let counter = """
    import time, uuid
    INSTANCE = uuid.uuid4().hex
    count = 0
    def handler(event, context):
        global count
        count += 1
        if isinstance(event, dict) and event.get("sleep"):
            time.sleep(event["sleep"])
        print("call", count)
        return {"count": count, "instance": INSTANCE}
    """

    static let echo = """
    def handler(event, context):
        return event
    """
}
