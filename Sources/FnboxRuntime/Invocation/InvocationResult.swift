import Foundation

/// How one invocation ended.
public enum InvocationStatus: Sendable, Equatable {
    case success
    /// The handler raised, or the runtime reported an error (errorType from the payload).
    case error(type: String)
    /// Killed at the function's timeout.
    case timeout
    /// Killed by the kernel's OOM killer at the memory limit.
    case outOfMemory
    /// The runtime process exited or was killed without answering.
    case crashed(String)

    public var isSuccess: Bool { self == .success }

    /// What REPORT says after the figures, and what `X-Amz-Function-Error` reflects.
    public var errorType: String? {
        switch self {
        case .success: return nil
        case .error(let type): return type
        case .timeout: return "Sandbox.Timedout"
        case .outOfMemory: return "Runtime.OutOfMemory"
        case .crashed: return "Runtime.ExitError"
        }
    }

    /// Whether the instance that served this call may serve another.
    public var instanceReusable: Bool {
        switch self {
        case .success, .error: return true
        case .timeout, .outOfMemory, .crashed: return false
        }
    }
}

/// The outcome of one invocation, with Lambda's figures.
public struct InvocationResult: Sendable {
    public var requestID: String
    /// Exactly what Lambda's Invoke would return: the result, or the error object.
    public var payload: [UInt8]
    public var status: InvocationStatus
    public var durationMilliseconds: Double
    /// Set on a cold start only.
    public var initDurationMilliseconds: Double?
    public var memorySizeMB: Int
    public var maxMemoryUsedMB: Int
    /// The function's own output during this call (stdout and stderr), without the platform lines.
    public var functionLog: String
    /// Output from the init phase (module import) of a cold start, shown before START.
    public var initLog: String

    public init(
        requestID: String, payload: [UInt8], status: InvocationStatus, durationMilliseconds: Double,
        initDurationMilliseconds: Double?, memorySizeMB: Int, maxMemoryUsedMB: Int, functionLog: String, initLog: String = ""
    ) {
        self.requestID = requestID
        self.payload = payload
        self.status = status
        self.durationMilliseconds = durationMilliseconds
        self.initDurationMilliseconds = initDurationMilliseconds
        self.memorySizeMB = memorySizeMB
        self.maxMemoryUsedMB = maxMemoryUsedMB
        self.functionLog = functionLog
        self.initLog = initLog
    }

    /// Billed duration: 1 ms granularity, and since 2025-08 the init phase is billed too.
    public var billedDurationMilliseconds: Int {
        Int((durationMilliseconds + (initDurationMilliseconds ?? 0)).rounded(.up))
    }

    /// `START RequestId: <id> Version: $LATEST`
    public var startLine: String { "START RequestId: \(requestID) Version: $LATEST\n" }

    /// `END RequestId: <id>`
    public var endLine: String { "END RequestId: \(requestID)\n" }

    /// Lambda's REPORT line: figures tab-separated, Init Duration after Max Memory Used on a cold
    /// start only, Status (and Error Type) on failure, and a trailing tab before the newline.
    public var reportLine: String {
        var line = "REPORT RequestId: \(requestID)\t"
        line += "Duration: \(String(format: "%.2f", durationMilliseconds)) ms\t"
        line += "Billed Duration: \(billedDurationMilliseconds) ms\t"
        line += "Memory Size: \(memorySizeMB) MB\t"
        line += "Max Memory Used: \(maxMemoryUsedMB) MB\t"
        if let initDurationMilliseconds {
            line += "Init Duration: \(String(format: "%.2f", initDurationMilliseconds)) ms\t"
        }
        switch status {
        case .success: break
        case .timeout: line += "Status: timeout\t"
        default: line += "Status: error\tError Type: \(status.errorType ?? "Runtime.Unknown")\t"
        }
        return line + "\n"
    }

    /// The whole log of the call as Lambda frames it: START, the function's output, any platform
    /// error line, END, REPORT.
    public var framedLog: String {
        var log = startLine
        log += functionLog
        if !functionLog.isEmpty && !functionLog.hasSuffix("\n") { log += "\n" }
        log += platformErrorLine
        log += endLine
        log += reportLine
        return log
    }

    /// The line the platform adds when it ended the call itself.
    var platformErrorLine: String {
        switch status {
        case .timeout:
            let seconds = String(format: "%.2f", durationMilliseconds / 1000)
            return "\(Self.timestamp()) \(requestID) Task timed out after \(seconds) seconds\n"
        case .outOfMemory:
            return "RequestId: \(requestID) Error: Runtime exited with error: signal: killed\nRuntime.OutOfMemory\n"
        case .crashed(let how):
            return "RequestId: \(requestID) Error: Runtime exited with error: \(how)\nRuntime.ExitError\n"
        default:
            return ""
        }
    }

    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    /// The last 4 KB of the framed log, as `X-Amz-Log-Result` carries it (base64 by the caller).
    public var logTail: [UInt8] {
        let bytes = Array(framedLog.utf8)
        return bytes.count > 4096 ? Array(bytes.suffix(4096)) : bytes
    }
}
