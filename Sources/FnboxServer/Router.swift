import FnboxAPI
import Foundation
import Logging

/// Maps a request to a Lambda operation by method and path (LAMBDA.md §1.1, §2.1).
struct Router: Sendable {
    /// Lambda's synchronous invoke limit, 6 MB.
    static let invokeBodyLimit = 6_291_456
    /// Lambda's CreateFunction request limit.
    static let managementBodyLimit = 70_167_211

    let api: LambdaAPI
    let logger: Logger

    static func bodyLimit(method: String, uri: String) -> Int {
        let path = HTTPHandler.split(uri: uri).0
        if path.hasSuffix("/invocations") || path.hasPrefix("/function-urls/") { return invokeBodyLimit }
        return managementBodyLimit
    }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        do {
            return try await route(request)
        } catch let error as LambdaError {
            if error.status >= 500 {
                logger.error("request failed", metadata: ["http.path": "\(request.path)", "error": "\(error)"])
            }
            return .error(error)
        } catch {
            logger.error("request failed", metadata: ["http.path": "\(request.path)", "error": "\(error)"])
            return .error(.service("\(error)"))
        }
    }

    private func route(_ request: HTTPRequest) async throws -> HTTPResponse {
        var parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let method = request.method
        if parts == ["healthz"] { return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: Array("ok\n".utf8)) }
        if parts == ["metrics"], method == "GET" { return await api.metricsText() }
        if parts == ["fnbox", "status"], method == "GET" { return await api.status() }
        if parts.first == "function-urls", parts.count >= 2 {
            let name = Self.decode(parts[1])
            let rest = "/" + parts.dropFirst(2).joined(separator: "/")
            return try await api.invokeURL(name: name, rawPath: rest, request: request)
        }
        guard parts.count >= 2, parts[1] == "functions" else { throw LambdaError.unknownOperation(method, request.path) }
        let version = parts.removeFirst()
        parts.removeFirst()  // "functions"
        if let response = try await routeAsync(version: version, method: method, parts: parts, request: request) { return response }
        let name = parts.first.map(Self.decode)
        switch (version, method, name, parts.dropFirst().first) {
        case ("2015-03-31", "POST", nil, nil):
            return try await api.createFunction(request.body)
        case ("2015-03-31", "GET", nil, nil):
            return try await api.listFunctions(query: request.queryItems)
        case ("2015-03-31", "GET", let name?, nil):
            return try await api.getFunction(name)
        case ("2015-03-31", "DELETE", let name?, nil):
            return try await api.deleteFunction(name)
        case ("2015-03-31", "GET", let name?, "configuration"):
            return try await api.getFunctionConfiguration(name)
        case ("2015-03-31", "PUT", let name?, "configuration"):
            return try await api.updateFunctionConfiguration(name, body: request.body)
        case ("2015-03-31", "PUT", let name?, "code"):
            return try await api.updateFunctionCode(name, body: request.body)
        case ("2015-03-31", "POST", let name?, "invocations"):
            return try await api.invoke(Self.qualified(name, query: request.queryItems), request: request)
        case ("2017-10-31", "PUT", let name?, "concurrency"):
            return try await api.putConcurrency(name, body: request.body)
        case ("2017-10-31", "DELETE", let name?, "concurrency"):
            return try await api.deleteConcurrency(name)
        case ("2019-09-30", "GET", let name?, "concurrency"):
            return try await api.getConcurrency(name)
        default:
            throw LambdaError.unknownOperation(method, request.path)
        }
    }

    /// boto3 percent-encodes the name (`:` as `%3A`); a full or partial ARN names the function by
    /// what follows `function:`. `name:$LATEST` is the same function; any other qualifier is kept,
    /// so that the lookup fails (fnbox has no published versions or aliases yet).
    static func decode(_ segment: String) -> String {
        var name = segment.removingPercentEncoding ?? segment
        if let range = name.range(of: "function:", options: .backwards) { name = String(name[range.upperBound...]) }
        if name.hasSuffix(":$LATEST") { name.removeLast(":$LATEST".count) }
        return name
    }

    /// The function name and the `?Qualifier=` of a request, as one name to look up.
    static func qualified(_ name: String, query: [String: String]) -> String {
        guard let qualifier = query["Qualifier"], !qualifier.isEmpty, qualifier != "$LATEST" else { return name }
        return "\(name):\(qualifier)"
    }
}
