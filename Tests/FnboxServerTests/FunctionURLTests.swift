@testable import FnboxServer
import Foundation
import Testing

@Suite("fnboxd function URLs", .serialized)
struct FunctionURLTests {
    static let slash = """
    import base64, json
    from urllib.parse import parse_qs
    def handler(event, context):
        body = event.get("body", "")
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode()
        form = parse_qs(body)
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": json.dumps({"response_type": "in_channel", "text": "hi " + form["user_name"][0],
                                "path": event["rawPath"], "method": event["requestContext"]["http"]["method"],
                                "query": event.get("queryStringParameters")}),
        }
    """

    @Test("a form-urlencoded POST (a Slack slash command) becomes a 2.0 event and the answer an HTTP response")
    func slashCommand() async throws {
        try await DaemonHarness.with { d in
            #expect(try await d.createPython("slack", files: ["app.py": Self.slash]).status == 201)
            let response = try await d.request(
                "POST", "/function-urls/slack/commands/hello?team=t1", body: Array("user_name=ada&command=%2Fhello".utf8),
                headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            let json = try #require(response.json)
            #expect(json["text"] as? String == "hi ada")
            #expect(json["path"] as? String == "/commands/hello")
            #expect(json["method"] as? String == "POST")
            #expect(json["query"] as? [String: String] == ["team": "t1"])
        }
    }

    @Test("a bare object answer becomes 200 compact JSON; a function error becomes 502")
    func responseMapping() {
        let object = FunctionURLEvent.response(payload: Array(#"{"hello": "world"}"#.utf8))
        #expect(object.status == 200)
        #expect(String(decoding: object.body, as: UTF8.self) == #"{"hello":"world"}"#)
        let string = FunctionURLEvent.response(payload: Array(#""hello""#.utf8))
        #expect(String(decoding: string.body, as: UTF8.self) == "hello")
        let teapot = FunctionURLEvent.response(payload: Array(#"{"statusCode": "418", "body": "tea", "cookies": ["a=b"]}"#.utf8))
        #expect(teapot.status == 418)
        #expect(teapot.headers.contains { $0.0 == "Set-Cookie" && $0.1 == "a=b" })
    }
}
