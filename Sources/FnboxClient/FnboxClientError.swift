import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why a call to fnboxd failed: the socket, the connection, the answer, or the daemon said no.
public enum FnboxClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `connect` (or `socket`) failed: no daemon, a stale socket, no permission, a path too long.
    case cannotConnect(socketPath: String, errno: Int32)
    /// A send or receive on an open connection failed.
    case connectionFailed(socketPath: String, operation: String, errno: Int32)
    /// The answer is not HTTP, or not the JSON it should be.
    case malformedResponse(String)
    /// fnboxd answered with a Lambda error: `x-amzn-ErrorType` and the body's `message` or `Message`.
    case daemon(status: Int, type: String, message: String)

    public var description: String {
        switch self {
        case .cannotConnect(let path, let err):
            "cannot connect to fnboxd at '\(path)': \(String(cString: strerror(err)))"
                + " (is fnboxd running? --socket or FNBOX_SOCKET name another socket)"
        case .connectionFailed(let path, let operation, let err):
            "\(operation) on '\(path)' failed: \(String(cString: strerror(err)))"
        case .malformedResponse(let reason):
            "fnboxd sent a malformed response: \(reason)"
        case .daemon(_, let type, let message):
            "\(type): \(message)"
        }
    }

    /// The error of a non-2xx response, read as botocore reads it: the type from
    /// `x-amzn-ErrorType` (else the body's `__type`, else the status), the message from `message` or `Message`.
    static func from(_ response: UnixSocketHTTPClient.Response) -> FnboxClientError {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let headerType = response.header("x-amzn-ErrorType").map { String($0.split(separator: ":").first ?? "") }
        let type = headerType ?? (object?["__type"] as? String) ?? "HTTP \(response.status)"
        let message = (object?["message"] as? String) ?? (object?["Message"] as? String)
            ?? String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return .daemon(status: response.status, type: type, message: message)
    }
}
