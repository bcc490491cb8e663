import Foundation

/// One call of a function, as the runtime receives it.
public struct InvocationRequest: Sendable {
    public var requestID: String
    public var payload: [UInt8]
    /// The invoked ARN, qualified when the caller qualified it.
    public var invokedFunctionARN: String
    /// Decoded `X-Amz-Client-Context` JSON, passed to the handler's `context.client_context`.
    public var clientContext: String?
    public var identity: String?
    public var traceID: String?

    public init(
        requestID: String = InvocationRequest.newRequestID(), payload: [UInt8], invokedFunctionARN: String,
        clientContext: String? = nil, identity: String? = nil, traceID: String? = nil
    ) {
        self.requestID = requestID
        self.payload = payload
        self.invokedFunctionARN = invokedFunctionARN
        self.clientContext = clientContext
        self.identity = identity
        self.traceID = traceID
    }

    /// Lambda's request ids are lower-case UUIDs.
    public static func newRequestID() -> String { UUID().uuidString.lowercased() }

    /// The `I` frame's header: what the runtime needs besides the event.
    func headerJSON(deadlineMilliseconds: Int64) -> [UInt8] {
        var fields: [String] = [
            "\"request_id\":\(JSONText.quote(requestID))",
            "\"deadline_ms\":\(deadlineMilliseconds)",
            "\"invoked_function_arn\":\(JSONText.quote(invokedFunctionARN))",
        ]
        fields.append("\"client_context\":\(clientContext ?? "null")")
        fields.append("\"identity\":\(identity ?? "null")")
        fields.append("\"trace_id\":\(traceID.map(JSONText.quote) ?? "null")")
        return Array("{\(fields.joined(separator: ","))}".utf8)
    }
}

/// Small JSON text helpers for the few fixed shapes fnbox writes by hand (log lines, error
/// payloads), where field order matters and Foundation's encoder would sort or escape slashes.
public enum JSONText {
    /// A JSON string literal for `s`.
    public static func quote(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `{"errorType": ..., "errorMessage": ...}` in that order, as fnbox run prints platform errors.
    public static func errorPayload(type: String, message: String) -> [UInt8] {
        Array("{\"errorType\":\(quote(type)),\"errorMessage\":\(quote(message))}".utf8)
    }

    /// Whether `bytes` parse as one JSON value (any type), as Lambda requires of an event.
    public static func isValidJSON(_ bytes: [UInt8]) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
    }
}
