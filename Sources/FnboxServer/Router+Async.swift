import FnboxAPI
import Foundation

extension Router {
    /// The async operations: Lambda's event invoke config API (`/2019-09-25/functions/{name}/event-invoke-config`,
    /// `.../event-invoke-config/list`, LAMBDA.md §3.1) and fnbox's dead letters
    /// (`/fnbox/functions/{name}/dead-letters`, `.../dead-letters/{id}/redrive`). nil: not one of them.
    /// - Parameter parts: the path after `/{version}/functions/`.
    func routeAsync(version: String, method: String, parts: [String], request: HTTPRequest) async throws -> HTTPResponse? {
        guard let first = parts.first else { return nil }
        let name = Self.decode(first)
        let rest = Array(parts.dropFirst())
        let qualifier = request.queryItems["Qualifier"]
        switch (version, method, rest) {
        case ("2019-09-25", "PUT", ["event-invoke-config"]):
            return try await api.putEventInvokeConfig(first, qualifier: qualifier, body: request.body, merge: false)
        case ("2019-09-25", "POST", ["event-invoke-config"]):
            return try await api.putEventInvokeConfig(first, qualifier: qualifier, body: request.body, merge: true)
        case ("2019-09-25", "GET", ["event-invoke-config"]):
            return try await api.getEventInvokeConfig(first, qualifier: qualifier)
        case ("2019-09-25", "DELETE", ["event-invoke-config"]):
            return try await api.deleteEventInvokeConfig(first, qualifier: qualifier)
        case ("2019-09-25", "GET", ["event-invoke-config", "list"]):
            return try await api.listEventInvokeConfigs(first)
        case ("fnbox", "GET", ["dead-letters"]):
            return try await api.listDeadLetters(name)
        case ("fnbox", "POST", let r) where r.count == 3 && r[0] == "dead-letters" && r[2] == "redrive":
            guard let id = Int64(r[1]) else { throw LambdaError.invalidParameter("Dead letter id must be a number: \(r[1])") }
            return try await api.redriveDeadLetter(name, id: id)
        default:
            return nil
        }
    }
}
