import FnboxAPI
import Foundation

/// fnboxd's API as the `fnbox` CLI uses it: Lambda's own operations on the daemon's Unix socket,
/// plus `GET /fnbox/status`. Blocking; every call returns the decoded answer and the daemon's
/// JSON exactly as it was sent (for `--json`).
public final class FnboxClient {
    /// Where fnboxd listens unless told otherwise.
    public static let defaultSocketPath = "/run/fnbox/fnboxd.sock"

    /// The socket to use: the flag, else `$FNBOX_SOCKET` (when not empty), else the default.
    public static func socketPath(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let flag { return flag }
        if let fromEnvironment = environment["FNBOX_SOCKET"], !fromEnvironment.isEmpty { return fromEnvironment }
        return defaultSocketPath
    }

    private let http: UnixSocketHTTPClient

    public var socketPath: String { http.socketPath }

    public init(socketPath: String) {
        http = UnixSocketHTTPClient(socketPath: socketPath)
    }

    /// A decoded answer and the JSON it was decoded from.
    public struct Answer<Value: Sendable>: Sendable {
        public var value: Value
        public var json: [UInt8]
    }

    /// What `deploy` did.
    public struct Deployed: Sendable {
        /// True when the function was created, false when it existed and was updated.
        public var created: Bool
        public var configuration: FunctionConfiguration
        /// The last answer's JSON: CreateFunction's, or UpdateFunctionConfiguration's.
        public var json: [UInt8]
    }

    /// What `invoke` returned.
    public struct Invocation: Sendable {
        /// The function's result, or its error payload.
        public var payload: [UInt8]
        /// `X-Amz-Function-Error` (`Unhandled`) when the function failed.
        public var functionError: String?
        /// `X-Amz-Log-Result` decoded: the call's last 4 KB of log, when asked for with `tail`.
        public var log: String?
        public var executedVersion: String?
    }

    // MARK: - operations

    /// CreateFunction, or, when the function exists, UpdateFunctionCode and then
    /// UpdateFunctionConfiguration with every setting (so that a setting dropped from the
    /// manifest returns to its default, and removed environment variables go).
    /// - Throws: `FnboxClientError`.
    public func deploy(_ deployment: FunctionDeployment) throws(FnboxClientError) -> Deployed {
        if try getFunction(deployment.name) == nil {
            let response = try send("POST", "/2015-03-31/functions", json: deployment.createRequest)
            if response.status == 201 || response.status == 200 {
                return Deployed(created: true, configuration: try decode(FunctionConfiguration.self, response), json: response.body)
            }
            let error = FnboxClientError.from(response)
            // Created by someone else since the lookup: update it instead.
            guard case .daemon(_, "ResourceConflictException", _) = error else { throw error }
        }
        let path = "/2015-03-31/functions/\(Self.escape(deployment.name))"
        _ = try expect(200, send("PUT", path + "/code", json: UpdateFunctionCodeRequest(ZipFile: deployment.zipBase64)))
        let response = try expect(200, send("PUT", path + "/configuration", json: deployment.configurationRequest))
        return Deployed(created: false, configuration: try decode(FunctionConfiguration.self, response), json: response.body)
    }

    /// GetFunctionConfiguration; nil when there is no such function.
    /// - Throws: `FnboxClientError` for anything but ResourceNotFoundException.
    public func getFunction(_ name: String) throws(FnboxClientError) -> FunctionConfiguration? {
        let response = try http.send("GET", "/2015-03-31/functions/\(Self.escape(name))/configuration")
        if response.status == 404, case .daemon(_, "ResourceNotFoundException", _) = FnboxClientError.from(response) { return nil }
        return try decode(FunctionConfiguration.self, expect(200, response))
    }

    /// ListFunctions, every page. The JSON is the daemon's when one page held everything, else
    /// one `{"Functions": [...]}` with each function's object as the daemon sent it.
    /// - Throws: `FnboxClientError`.
    public func listFunctions() throws(FnboxClientError) -> Answer<[FunctionConfiguration]> {
        var functions: [FunctionConfiguration] = []
        var rawFunctions: [Any] = []
        var pages: [[UInt8]] = []
        var marker: String?
        repeat {
            var target = "/2015-03-31/functions/"
            if let marker { target += "?Marker=\(Self.escape(marker))" }
            let response = try expect(200, http.send("GET", target))
            let page = try decode(ListFunctionsResponse.self, response)
            functions += page.Functions
            pages.append(response.body)
            let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
            rawFunctions += object?["Functions"] as? [Any] ?? []
            marker = page.NextMarker.flatMap { $0.isEmpty || page.Functions.isEmpty ? nil : $0 }
        } while marker != nil
        if pages.count == 1 { return Answer(value: functions, json: pages[0]) }
        let merged = (try? JSONSerialization.data(withJSONObject: ["Functions": rawFunctions], options: [.sortedKeys])) ?? Data()
        return Answer(value: functions, json: Array(merged))
    }

    /// DeleteFunction.
    /// - Throws: `FnboxClientError`, `.daemon` with ResourceNotFoundException for an unknown name.
    public func deleteFunction(_ name: String) throws(FnboxClientError) {
        _ = try expect(204, http.send("DELETE", "/2015-03-31/functions/\(Self.escape(name))"))
    }

    /// Invoke, RequestResponse.
    /// - Parameters:
    ///   - name: the function.
    ///   - payload: the event, JSON.
    ///   - tail: ask for `X-Amz-Log-Type: Tail`.
    /// - Throws: `FnboxClientError`; a *function* error is not thrown, it is `functionError`.
    public func invoke(_ name: String, payload: [UInt8], tail: Bool) throws(FnboxClientError) -> Invocation {
        var headers = [("Content-Type", "application/json"), ("X-Amz-Invocation-Type", "RequestResponse")]
        if tail { headers.append(("X-Amz-Log-Type", "Tail")) }
        let response = try expect(200, http.send(
            "POST", "/2015-03-31/functions/\(Self.escape(name))/invocations", body: payload, headers: headers))
        let log = response.header("X-Amz-Log-Result")
            .flatMap { Data(base64Encoded: $0) }
            .map { String(decoding: $0, as: UTF8.self) }
        return Invocation(
            payload: response.body, functionError: response.header("X-Amz-Function-Error"), log: log,
            executedVersion: response.header("X-Amz-Executed-Version"))
    }

    /// Invoke, Event: fnboxd stores the event durably and answers 202 with its request id.
    /// - Throws: `FnboxClientError`; 413 over 1 MB, 429 when the queue is full.
    public func invokeAsync(_ name: String, payload: [UInt8]) throws(FnboxClientError) -> String {
        let headers = [("Content-Type", "application/json"), ("X-Amz-Invocation-Type", "Event")]
        let response = try expect(202, http.send(
            "POST", "/2015-03-31/functions/\(Self.escape(name))/invocations", body: payload, headers: headers))
        return response.header("x-amzn-RequestId") ?? ""
    }

    /// `GET /fnbox/functions/{name}/dead-letters`: the async events fnboxd gave up on.
    /// - Throws: `FnboxClientError`.
    public func deadLetters(_ name: String) throws(FnboxClientError) -> Answer<[DeadLetter]> {
        let response = try expect(200, http.send("GET", "/fnbox/functions/\(Self.escape(name))/dead-letters"))
        return Answer(value: try decode(DeadLettersResponse.self, response).DeadLetters, json: response.body)
    }

    /// `POST /fnbox/functions/{name}/dead-letters/{id}/redrive`: back in the queue with its request id.
    /// - Returns: the request id the event keeps.
    /// - Throws: `FnboxClientError`.
    public func redrive(_ name: String, deadLetter id: Int64) throws(FnboxClientError) -> String {
        let response = try expect(202, http.send("POST", "/fnbox/functions/\(Self.escape(name))/dead-letters/\(id)/redrive"))
        return response.header("x-amzn-RequestId") ?? ""
    }

    /// `GET /fnbox/status`.
    /// - Throws: `FnboxClientError`.
    public func status() throws(FnboxClientError) -> Answer<DaemonStatus> {
        let response = try expect(200, http.send("GET", "/fnbox/status"))
        return Answer(value: try decode(DaemonStatus.self, response), json: response.body)
    }

    // MARK: - helpers

    private func send<T: Encodable>(_ method: String, _ target: String, json value: T) throws(FnboxClientError) -> UnixSocketHTTPClient.Response {
        let body: Data
        do {
            body = try JSONEncoder().encode(value)
        } catch {
            throw .malformedResponse("cannot encode the request: \(error)")
        }
        return try http.send(method, target, body: Array(body), headers: [("Content-Type", "application/json")])
    }

    private func expect(_ status: Int, _ response: UnixSocketHTTPClient.Response) throws(FnboxClientError) -> UnixSocketHTTPClient.Response {
        guard response.status == status else { throw FnboxClientError.from(response) }
        return response
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: UnixSocketHTTPClient.Response) throws(FnboxClientError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch {
            throw .malformedResponse("expected \(T.self) JSON: \(error)")
        }
    }

    /// A name or marker as one path segment or query value.
    static func escape(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
