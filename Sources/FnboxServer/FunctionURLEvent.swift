import Foundation

/// Lambda's function-URL event, payload format 2.0 (LAMBDA.md §4.2), and the mapping of the
/// function's answer back to HTTP (§4.3).
enum FunctionURLEvent {
    static let urlID = "fnbox"

    static func event(
        rawPath: String, request: HTTPRequest, requestID: String, region: String, now: Date = Date()
    ) -> [UInt8] {
        var headers: [String: String] = [:]
        var order: [String] = []
        for (name, value) in request.headers {
            let key = name.lowercased()
            if let existing = headers[key] { headers[key] = existing + "," + value } else { headers[key] = value; order.append(key) }
        }
        var event: [String: Any] = [
            "version": "2.0", "routeKey": "$default", "rawPath": rawPath, "rawQueryString": request.query,
            "headers": headers, "isBase64Encoded": false,
        ]
        if let cookie = headers["cookie"] {
            event["cookies"] = cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        if !request.query.isEmpty {
            var params: [String: String] = [:]
            for pair in request.query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                let key = HTTPRequest.formDecode(parts[0])
                let value = parts.count > 1 ? HTTPRequest.formDecode(parts[1]) : ""
                params[key] = params[key].map { $0 + "," + value } ?? value
            }
            event["queryStringParameters"] = params
        }
        if !request.body.isEmpty {
            if isText(headers["content-type"]), let text = String(validating: request.body, as: UTF8.self) {
                event["body"] = text
            } else {
                event["body"] = Data(request.body).base64EncodedString()
                event["isBase64Encoded"] = true
            }
        }
        let time = DateFormatter()
        time.locale = Locale(identifier: "en_US_POSIX")
        time.timeZone = TimeZone(identifier: "UTC")
        time.dateFormat = "dd/MMM/yyyy:HH:mm:ss '+0000'"
        event["requestContext"] = [
            "accountId": "anonymous", "apiId": urlID, "domainPrefix": urlID,
            "domainName": "\(urlID).lambda-url.\(region).on.aws", "requestId": requestID,
            "routeKey": "$default", "stage": "$default", "time": time.string(from: now),
            "timeEpoch": Int64(now.timeIntervalSince1970 * 1000),
            "http": [
                "method": request.method, "path": rawPath, "protocol": "HTTP/1.1",
                "sourceIp": headers["x-forwarded-for"]?.split(separator: ",").first.map(String.init) ?? "127.0.0.1",
                "userAgent": headers["user-agent"] ?? "",
            ] as [String: Any],
        ] as [String: Any]
        return Array((try? JSONSerialization.data(withJSONObject: event, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8))
    }

    static func isText(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return type.hasPrefix("text/") || ["application/json", "application/xml", "application/javascript"].contains(type)
    }

    /// The HTTP response for a successful call's payload.
    static func response(payload: [UInt8]) -> HTTPResponse {
        let json = [("Content-Type", "application/json")]
        guard let value = try? JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed]) else {
            return HTTPResponse(status: 200, headers: json, body: payload)
        }
        if let string = value as? String { return HTTPResponse(status: 200, headers: json, body: Array(string.utf8)) }
        guard let object = value as? [String: Any], let statusValue = object["statusCode"] else {
            let compact = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes])) ?? Data(payload)
            return HTTPResponse(status: 200, headers: json, body: Array(compact))
        }
        let status = (statusValue as? Int) ?? (statusValue as? String).flatMap(Int.init) ?? 200
        var headers: [(String, String)] = []
        for (name, value) in (object["headers"] as? [String: Any]) ?? [:] { headers.append((name, "\(value)")) }
        if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { headers.append(("Content-Type", "application/json")) }
        for cookie in (object["cookies"] as? [String]) ?? [] { headers.append(("Set-Cookie", cookie)) }
        var body: [UInt8] = []
        if let text = object["body"] as? String {
            if (object["isBase64Encoded"] as? Bool) == true, let data = Data(base64Encoded: text) {
                body = Array(data)
            } else {
                body = Array(text.utf8)
            }
        } else if let other = object["body"], !(other is NSNull) {
            body = Array((try? JSONSerialization.data(withJSONObject: other, options: [.fragmentsAllowed])) ?? Data())
        }
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}
