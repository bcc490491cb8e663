import FnboxAPI
import FnboxRuntime
import Foundation

extension LambdaAPI {
    /// `ANY /function-urls/{name}/{path...}`: the request as a payload-2.0 event, the answer as HTTP.
    func invokeURL(name: String, rawPath: String, request: HTTPRequest) async throws -> HTTPResponse {
        guard let record = try await store.get(name) else {
            return HTTPResponse(status: 403, headers: [("Content-Type", "application/json"), ("x-amzn-ErrorType", "AccessDeniedException")],
                                body: Array("{\"Message\":null}".utf8))
        }
        let requestID = InvocationRequest.newRequestID()
        let event = FunctionURLEvent.event(rawPath: rawPath, request: request, requestID: requestID, region: options.region)
        // fnbox's extension: hand the request to the async queue and answer 202 at once.
        if request.header("X-Amz-Invocation-Type") == "Event" { return try await enqueueEvent(record, payload: event, requestID: requestID) }
        let invocation = InvocationRequest(requestID: requestID, payload: event, invokedFunctionARN: arn(name))
        let result = try await run(record, invocation)
        var response = result.status.isSuccess
            ? FunctionURLEvent.response(payload: result.payload)
            : HTTPResponse(status: 502, headers: [("Content-Type", "text/plain")], body: Array("Internal Server Error".utf8))
        response.headers.append(("x-amzn-RequestId", requestID))
        return response
    }
}
