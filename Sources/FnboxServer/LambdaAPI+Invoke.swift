import FnboxAPI
import FnboxRuntime
import Foundation

extension LambdaAPI {
    /// Lambda's synchronous response limit.
    static let responseLimit = 6_291_456

    /// `POST /2015-03-31/functions/{name}/invocations`.
    func invoke(_ name: String, request: HTTPRequest) async throws -> HTTPResponse {
        let record = try await record(name, invoke: true)
        let invocationType = request.header("X-Amz-Invocation-Type") ?? "RequestResponse"
        let payload = request.body.isEmpty ? Array("{}".utf8) : request.body
        guard JSONText.isValidJSON(payload) else {
            throw LambdaError.invalidContent("Could not parse request body into json: Could not parse payload into json: the body is not valid JSON")
        }
        switch invocationType {
        case "DryRun":
            return HTTPResponse(status: 204, headers: [("x-amzn-RequestId", InvocationRequest.newRequestID())])
        case "Event":
            return try await enqueueEvent(record, payload: payload)
        case "RequestResponse":
            break
        default:
            throw LambdaError.invalidParameter("Invalid InvocationType: \(invocationType)")
        }
        let invocation = InvocationRequest(
            payload: payload, invokedFunctionARN: arn(name),
            clientContext: try clientContext(request.header("X-Amz-Client-Context")))
        let result = try await run(record, invocation)
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", result.requestID),
            ("X-Amz-Executed-Version", "$LATEST"),
        ]
        var body = result.payload
        if result.payload.count > Self.responseLimit {
            body = JSONText.errorPayload(
                type: "Function.ResponseSizeTooLarge",
                message: "Response payload size exceeded maximum allowed payload size (\(Self.responseLimit + 100) bytes).")
            headers.append(("X-Amz-Function-Error", "Unhandled"))
        } else if !result.status.isSuccess {
            headers.append(("X-Amz-Function-Error", "Unhandled"))
        }
        if request.header("X-Amz-Log-Type") == "Tail" {
            headers.append(("X-Amz-Log-Result", Data(result.logTail).base64EncodedString()))
        }
        return HTTPResponse(status: 200, headers: headers, body: body)
    }

    /// Runs one invocation on a pooled instance; without `waitForCapacity`, 429 rather than queueing.
    func run(_ record: FunctionRecord, _ invocation: InvocationRequest, waitForCapacity: Bool = true) async throws -> InvocationResult {
        let bundleRoot = code.root(forSha256Hex: record.codeSha256Hex)
        let function = PoolFunction(
            name: record.name, revision: record.revisionID,
            config: try record.functionConfig().withManifestMounts(bundleRoot: bundleRoot, allowedRoots: mountRoots),
            bundleRoot: bundleRoot, reservedConcurrency: record.reservedConcurrency)
        let clock = ContinuousClock()
        let start = clock.now
        let lease: Lease
        do {
            lease = try await pool.acquire(function, waitForCapacity: waitForCapacity)
        } catch let error as LambdaError where error.status == 429 {
            if waitForCapacity { metrics.throttled(function: record.name) }
            throw error
        }
        let instance = lease.instance
        let result = await runBlocking { instance.invoke(invocation) }
        await pool.release(lease)
        metrics.invocation(
            function: record.name, outcome: result.status.errorType ?? "success", duration: clock.now - start,
            coldStart: lease.coldStart)
        logger.info("\(result.reportLine.trimmingCharacters(in: .whitespacesAndNewlines))", metadata: [
            "function.name": "\(record.name)", "request.id": "\(result.requestID)", "cold.start": "\(lease.coldStart)",
        ])
        return result
    }

    /// `X-Amz-Client-Context`: base64 of a JSON object, passed on as its JSON text.
    private func clientContext(_ header: String?) throws -> String? {
        guard let header else { return nil }
        guard let data = Data(base64Encoded: header),
              (try? JSONSerialization.jsonObject(with: data)) is [String: Any]
        else {
            throw LambdaError.invalidContent("Client context must be a valid Base64-encoded JSON object.")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
