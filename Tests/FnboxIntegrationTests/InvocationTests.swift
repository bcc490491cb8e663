import FnboxRuntime
import FnboxTestSupport
import Foundation
import Testing

@Suite("Python invocations in a real sandbox", .serialized, .requiresRoot)
struct InvocationTests {
    let harness: SandboxHarness
    init() throws { harness = try SandboxHarness() }

    @Test("the event reaches the handler and its result comes back as the payload")
    func resultAndEvent() throws {
        let result = try harness.runPython(
            """
            def handler(event, context):
                print("got", event["name"])
                return {"hello": event["name"], "n": event["n"] * 2}
            """, event: #"{"name": "fnbox", "n": 21}"#)
        #expect(result.status == .success)
        let object = try #require(SandboxHarness.object(result.payload))
        #expect(object["hello"] as? String == "fnbox")
        #expect(object["n"] as? Int == 42)
        #expect(result.functionLog.contains("got fnbox"))
        #expect(result.initDurationMilliseconds != nil)
        #expect(result.maxMemoryUsedMB > 0 && result.maxMemoryUsedMB <= 128)
        expectNothingLeftBehind(harness)
    }

    @Test("the environment has Lambda's variables and the function's own, and nothing of the host's")
    func environment() throws {
        setenv("FNBOX_HOST_SECRET", "leak", 1)
        defer { unsetenv("FNBOX_HOST_SECRET") }
        let result = try harness.runPython(
            """
            import os
            def handler(event, context):
                return dict(os.environ)
            """, memoryMB: 256, environment: ["GREETING": "hi"])
        let env = try #require(SandboxHarness.object(result.payload) as? [String: String])
        #expect(env["AWS_LAMBDA_FUNCTION_NAME"] == "test")
        #expect(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256")
        #expect(env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST")
        #expect(env["LAMBDA_TASK_ROOT"] == "/var/task")
        #expect(env["_HANDLER"] == "app.handler")
        #expect(env["AWS_REGION"] == "us-east-1")
        #expect(env["TZ"] == ":UTC")
        #expect(env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/test")
        #expect(env["GREETING"] == "hi")
        #expect(env["FNBOX_HOST_SECRET"] == nil)
        #expect(env["FNBOX_RUNTIME_FD"] == nil, "the runtime's own fd must not leak to user code")
        expectNothingLeftBehind(harness)
    }

    @Test("the context object carries Lambda's fields")
    func context() throws {
        let result = try harness.runPython(
            """
            def handler(event, context):
                return {
                    "aws_request_id": context.aws_request_id,
                    "function_name": context.function_name,
                    "function_version": context.function_version,
                    "invoked_function_arn": context.invoked_function_arn,
                    "memory_limit_in_mb": context.memory_limit_in_mb,
                    "log_group_name": context.log_group_name,
                    "log_stream_name": context.log_stream_name,
                    "identity_pool": context.identity.cognito_identity_pool_id,
                    "client_context": context.client_context,
                    "remaining": context.get_remaining_time_in_millis(),
                }
            """, timeoutSeconds: 5)
        let c = try #require(SandboxHarness.object(result.payload))
        #expect(c["aws_request_id"] as? String == result.requestID)
        #expect(c["function_name"] as? String == "test")
        #expect(c["function_version"] as? String == "$LATEST")
        #expect(c["invoked_function_arn"] as? String == "arn:aws:lambda:us-east-1:000000000000:function:test")
        #expect(c["memory_limit_in_mb"] as? String == "128")
        #expect((c["log_stream_name"] as? String)?.contains("[$LATEST]") == true)
        #expect(c["identity_pool"] is NSNull)
        #expect(c["client_context"] is NSNull)
        let remaining = try #require(c["remaining"] as? Int)
        #expect(remaining > 3000 && remaining <= 5000)
    }

    @Test("an exception becomes Lambda's error payload and REPORT says Status: error")
    func exceptionPayload() throws {
        let result = try harness.runPython(
            """
            class CustomError(Exception):
                pass
            def handler(event, context):
                raise CustomError("it broke")
            """)
        #expect(result.status == .error(type: "CustomError"))
        let e = try #require(SandboxHarness.object(result.payload))
        #expect(e["errorType"] as? String == "CustomError")
        #expect(e["errorMessage"] as? String == "it broke")
        let trace = try #require(e["stackTrace"] as? [String])
        #expect(trace.contains { $0.contains("/var/task/app.py") })
        #expect(result.reportLine.contains("Status: error\tError Type: CustomError\t"))
        expectNothingLeftBehind(harness)
    }

    @Test("an import failure is Runtime.ImportModuleError")
    func importError() throws {
        let result = try harness.runPython("import does_not_exist\ndef handler(e, c): return 1\n")
        let e = try #require(SandboxHarness.object(result.payload))
        #expect(e["errorType"] as? String == "Runtime.ImportModuleError")
        #expect((e["errorMessage"] as? String)?.contains("No module named 'does_not_exist'") == true)
        expectNothingLeftBehind(harness)
    }

    @Test("a result that is not JSON-serialisable is Runtime.MarshalError")
    func marshalError() throws {
        let result = try harness.runPython(
            "import datetime\ndef handler(e, c):\n    return {'when': datetime.datetime(2020, 1, 1)}\n")
        let e = try #require(SandboxHarness.object(result.payload))
        #expect(e["errorType"] as? String == "Runtime.MarshalError")
        #expect((e["errorMessage"] as? String)?.contains("not JSON serializable") == true)
    }

    @Test("a handler past its timeout is killed and reported as Lambda reports it")
    func timeout() throws {
        let started = ContinuousClock.now
        let result = try harness.runPython(
            """
            import subprocess, time
            def handler(event, context):
                subprocess.Popen(["/bin/sleep", "300"])
                time.sleep(60)
            """, timeoutSeconds: 1)
        #expect(ContinuousClock.now - started < .seconds(8))
        #expect(result.status == .timeout)
        let e = try #require(SandboxHarness.object(result.payload))
        #expect(e["errorType"] as? String == "Sandbox.Timedout")
        #expect(e["errorMessage"] as? String == "RequestId: \(result.requestID) Error: Task timed out after 1.00 seconds")
        #expect(result.reportLine.contains("Duration: 1000.00 ms\t"))
        #expect(result.reportLine.contains("Status: timeout"))
        #expect(result.framedLog.contains("Task timed out after"))
        expectNothingLeftBehind(harness)
    }

    @Test("REPORT has Lambda's exact shape with honest figures")
    func reportLine() throws {
        let result = try harness.runPython("def handler(e, c):\n    return 'ok'\n")
        let pattern = #"^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms\t\n$"#
        #expect(result.reportLine.range(of: pattern, options: .regularExpression) != nil, "\(result.reportLine)")
        #expect(result.framedLog.hasPrefix("START RequestId: \(result.requestID) Version: $LATEST\n"))
        #expect(result.framedLog.contains("END RequestId: \(result.requestID)\n"))
        // A Python interpreter with its runtime really uses memory: more than 5 MB, under the limit.
        #expect(result.maxMemoryUsedMB > 5 && result.maxMemoryUsedMB < 128)
        #expect(result.billedDurationMilliseconds >= Int(result.durationMilliseconds + (result.initDurationMilliseconds ?? 0)))
    }
}
