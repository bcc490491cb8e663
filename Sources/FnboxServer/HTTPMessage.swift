import FnboxAPI
import Foundation

/// A whole HTTP request, body read (within its limit).
struct HTTPRequest: Sendable {
    var method: String
    /// The raw target's path, still percent-encoded.
    var path: String
    /// The raw query string, without `?`.
    var query: String
    /// In arrival order; names as sent.
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }

    /// Decoded query parameters (last one wins).
    var queryItems: [String: String] {
        var items: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let key = Self.formDecode(parts[0])
            items[key] = parts.count > 1 ? Self.formDecode(parts[1]) : ""
        }
        return items
    }

    static func formDecode(_ s: String) -> String {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? s
    }
}

/// A response to write.
struct HTTPResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    static func json<T: Encodable>(_ value: T, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
        return HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    static func error(_ error: LambdaError, requestID: String = UUID().uuidString.lowercased()) -> HTTPResponse {
        HTTPResponse(
            status: error.status,
            headers: [("Content-Type", "application/json"), ("x-amzn-ErrorType", error.type), ("x-amzn-RequestId", requestID)],
            body: error.body)
    }
}
