import Foundation

/// An error as Lambda's API sends it: a status, the `x-amzn-ErrorType` header and a JSON body
/// `{"Type": "User"|"Service", "message"|"Message": ...}` (key per LAMBDA.md §1.5).
public struct LambdaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum MessageKey: String, Sendable { case lower = "message", upper = "Message" }

    public var status: Int
    public var type: String
    public var message: String
    public var messageKey: MessageKey
    /// `TooManyRequestsException` carries a `Reason`.
    public var reason: String?

    public init(status: Int, type: String, message: String, messageKey: MessageKey = .lower, reason: String? = nil) {
        self.status = status
        self.type = type
        self.message = message
        self.messageKey = messageKey
        self.reason = reason
    }

    public var description: String { "\(type) (\(status)): \(message)" }

    /// `"Service"` for 5xx, else `"User"`.
    public var origin: String { status >= 500 ? "Service" : "User" }

    /// The JSON body.
    public var body: [UInt8] {
        var object: [String: String] = ["Type": origin, messageKey.rawValue: message]
        if let reason { object["Reason"] = reason }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }
}

extension LambdaError {
    public static func notFound(_ message: String) -> LambdaError {
        LambdaError(status: 404, type: "ResourceNotFoundException", message: message, messageKey: .upper)
    }

    public static func invalidParameter(_ message: String) -> LambdaError {
        LambdaError(status: 400, type: "InvalidParameterValueException", message: message)
    }

    public static func invalidContent(_ message: String) -> LambdaError {
        LambdaError(status: 400, type: "InvalidRequestContentException", message: message)
    }

    public static func conflict(_ message: String) -> LambdaError {
        LambdaError(status: 409, type: "ResourceConflictException", message: message)
    }

    public static func tooLarge(_ message: String) -> LambdaError {
        LambdaError(status: 413, type: "RequestEntityTooLargeException", message: message)
    }

    public static func tooManyRequests(reason: String) -> LambdaError {
        LambdaError(status: 429, type: "TooManyRequestsException", message: "Rate Exceeded.", reason: reason)
    }

    public static func service(_ message: String) -> LambdaError {
        LambdaError(status: 500, type: "ServiceException", message: message, messageKey: .upper)
    }

    public static func unknownOperation(_ method: String, _ path: String) -> LambdaError {
        LambdaError(status: 404, type: "UnknownOperationException", message: "No operation for \(method) \(path)")
    }
}
