import FnboxCgroups
import FnboxSandbox
import FnboxSystem
import Foundation
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A Python runtime in a sandbox: `/usr/bin/python3 /var/runtime/bootstrap.py`, speaking the
/// framed protocol on fd 3, its stdout and stderr on one log pipe. One instance serves many
/// invocations in sequence, so module-level state survives between them.
final class PythonInstance: FunctionInstance, @unchecked Sendable {
    // Used by one caller at a time (the warm pool hands an instance to one invocation), so the
    // mutable state below needs no lock.
    let config: FunctionConfig
    private let options: InstanceOptions
    private let sandbox: LaunchedSandbox
    private let control: Int32
    private let logs: Int32
    private var decoder = RuntimeFrameDecoder()
    private var pendingInitDuration: Double?
    private var initLog: String = ""
    private var initFailure: [UInt8]?
    private var initFailureType: String?
    private var dead = false
    private var initMaxMemoryUsed = 0

    var isReusable: Bool { !dead && initFailure == nil }
    var cgroup: SandboxCgroup? { sandbox.cgroup }

    private init(config: FunctionConfig, options: InstanceOptions, sandbox: LaunchedSandbox, control: Int32, logs: Int32) {
        self.config = config
        self.options = options
        self.sandbox = sandbox
        self.control = control
        self.logs = logs
    }

    deinit {
        destroy()
        close(control)
        close(logs)
    }

    static func start(config: FunctionConfig, bundleRoot: FilePath, options: InstanceOptions) throws(InstanceError) -> PythonInstance {
        let (hostEnd, runtimeEnd): (Int32, Int32)
        let (logRead, logWrite): (Int32, Int32)
        let devNull: Int32
        do {
            (hostEnd, runtimeEnd) = try Pipes.makeSocketPair()
            (logRead, logWrite) = try Pipes.makePipe()
            devNull = try PollLoop.openDevNull()
        } catch {
            throw .system(error)
        }
        defer {
            close(runtimeEnd)
            close(logWrite)
            close(devNull)
        }
        let sandbox: LaunchedSandbox
        do {
            // -S: no site module, so the host's dist-packages and their .pth code stay out.
            // The init phase runs without the CPU quota, as on Lambda: at 128 MB the quota is ~7% of
            // a core, and the interpreter's start would take ten times longer under it.
            sandbox = try SandboxLauncher.launch(
                config: config, bundleRoot: bundleRoot, options: options,
                executable: options.pythonPath,
                arguments: [options.pythonPath, "-B", "-S", "-u", "/var/runtime/bootstrap.py"],
                environment: LambdaEnvironment.variables(config: config, options: options),
                fds: [devNull, logWrite, logWrite, runtimeEnd], cpuQuota: nil)
        } catch {
            close(hostEnd)
            close(logRead)
            throw error
        }
        PollLoop.setNonBlocking(hostEnd)
        PollLoop.setNonBlocking(logRead)
        let instance = PythonInstance(config: config, options: options, sandbox: sandbox, control: hostEnd, logs: logRead)
        instance.runInitPhase()
        return instance
    }

    /// Waits for the runtime's `R` (or `E`) frame, up to the init timeout.
    private func runInitPhase() {
        let deadline = sandbox.startedAt + options.initTimeout
        var logBytes: [UInt8] = []
        let outcome = pump(until: deadline, log: &logBytes)
        drainLogs(into: &logBytes)
        initLog = String(decoding: logBytes, as: UTF8.self)
        let elapsed = milliseconds(ContinuousClock.now - sandbox.startedAt)
        pendingInitDuration = elapsed
        initMaxMemoryUsed = sandbox.maxMemoryUsedMB()
        switch outcome {
        case .frame(let frame) where frame.kind == .ready:
            do {
                try sandbox.cgroup?.setCPUQuota(options.cpuQuota(memoryMB: config.memoryMB))
            } catch {
                initFailed(type: "Runtime.Unknown", message: "fnbox could not apply the CPU quota: \(error)")
            }
        case .frame(let frame) where frame.kind == .initError:
            initFailure = frame.body
            initFailureType = Self.errorType(of: frame.body) ?? "Runtime.Unknown"
            sandbox.destroy()
            dead = true
        case .frame(let frame):
            initFailed(type: "Runtime.Unknown", message: "runtime sent '\(Character(Unicode.Scalar(frame.kind.rawValue)))' during init")
        case .timedOut:
            initFailed(type: "Sandbox.Timedout", message: "Init phase timed out after \(String(format: "%.2f", elapsed / 1000)) seconds")
        case .exited(let status):
            let type = sandbox.oomKills() > 0 ? "Runtime.OutOfMemory" : "Runtime.ExitError"
            let how = status == .exited(0) ? "Runtime exited without providing a reason" : "Runtime exited with error: \(status)"
            initFailed(type: type, message: how)
        case .protocolError(let why):
            initFailed(type: "Runtime.Unknown", message: why)
        }
    }

    private func initFailed(type: String, message: String) {
        initFailure = JSONText.errorPayload(type: type, message: message)
        initFailureType = type
        sandbox.destroy()
        dead = true
    }

    func invoke(_ request: InvocationRequest) -> InvocationResult {
        let initDuration = pendingInitDuration
        pendingInitDuration = nil
        let log = initLog
        initLog = ""
        if let initFailure {
            return InvocationResult(
                requestID: request.requestID, payload: initFailure, status: .error(type: initFailureType ?? "Runtime.Unknown"),
                durationMilliseconds: 0, initDurationMilliseconds: initDuration, memorySizeMB: config.memoryMB,
                maxMemoryUsedMB: initMaxMemoryUsed, functionLog: "", initLog: log)
        }
        guard !dead else {
            return InvocationResult(
                requestID: request.requestID,
                payload: JSONText.errorPayload(type: "Runtime.Unknown", message: "RequestId: \(request.requestID) Error: instance is gone"),
                status: .crashed("instance is gone"), durationMilliseconds: 0, initDurationMilliseconds: nil,
                memorySizeMB: config.memoryMB, maxMemoryUsedMB: 0, functionLog: "")
        }
        let started = ContinuousClock.now
        let timeout = Duration.seconds(config.timeoutSeconds)
        let deadline = started + timeout
        let wallDeadline = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) + Int64(config.timeoutSeconds) * 1000
        var frame = RuntimeFrame(kind: .invoke, body: request.headerJSON(deadlineMilliseconds: wallDeadline))
        frame.body.append(0x0A)
        frame.body.append(contentsOf: request.payload)
        var logBytes: [UInt8] = []
        let outcome = pump(until: deadline, log: &logBytes, sending: frame.encoded())
        let duration = milliseconds(ContinuousClock.now - started)
        // Read the figures while the cgroup still exists: a failed instance is destroyed below.
        let maxMemoryUsed = sandbox.maxMemoryUsedMB()
        var status: InvocationStatus
        var payload: [UInt8]
        var reportedDuration = duration
        switch outcome {
        case .frame(let frame) where frame.kind == .success:
            status = .success
            payload = frame.body
        case .frame(let frame) where frame.kind == .failure:
            status = .error(type: Self.errorType(of: frame.body) ?? "Unhandled")
            payload = frame.body
        case .frame(let frame):
            status = .crashed("protocol error")
            payload = JSONText.errorPayload(
                type: "Runtime.Unknown", message: "RequestId: \(request.requestID) Error: runtime sent frame \(frame.kind)")
            sandbox.destroy()
            dead = true
        case .timedOut:
            // On timeout Lambda reports the configured timeout as the duration.
            reportedDuration = Double(config.timeoutSeconds) * 1000
            status = .timeout
            payload = JSONText.errorPayload(
                type: "Sandbox.Timedout",
                message: "RequestId: \(request.requestID) Error: Task timed out after \(String(format: "%.2f", Double(config.timeoutSeconds))) seconds")
            sandbox.destroy()
            dead = true
        case .exited(let exit):
            drainLogs(into: &logBytes)
            if sandbox.oomKills() > 0 {
                status = .outOfMemory
                payload = JSONText.errorPayload(
                    type: "Runtime.OutOfMemory",
                    message: "RequestId: \(request.requestID) Error: Runtime exited with error: signal: killed")
            } else if exit == .exited(0) {
                status = .crashed("exit status 0")
                payload = JSONText.errorPayload(
                    type: "Runtime.ExitError",
                    message: "RequestId: \(request.requestID) Error: Runtime exited without providing a reason")
            } else {
                status = .crashed("\(exit)")
                payload = JSONText.errorPayload(
                    type: "Runtime.ExitError", message: "RequestId: \(request.requestID) Error: Runtime exited with error: \(exit)")
            }
            sandbox.destroy()
            dead = true
        case .protocolError(let why):
            status = .crashed(why)
            payload = JSONText.errorPayload(type: "Runtime.Unknown", message: "RequestId: \(request.requestID) Error: \(why)")
            sandbox.destroy()
            dead = true
        }
        if !dead { drainLogs(into: &logBytes) }
        return InvocationResult(
            requestID: request.requestID, payload: payload, status: status, durationMilliseconds: reportedDuration,
            initDurationMilliseconds: initDuration, memorySizeMB: config.memoryMB,
            maxMemoryUsedMB: maxMemoryUsed, functionLog: String(decoding: logBytes, as: UTF8.self), initLog: log)
    }

    func destroy() {
        dead = true
        sandbox.destroy()
    }

    func interrupt() {
        sandbox.process.kill()
    }

    // MARK: - I/O

    private enum PumpOutcome {
        case frame(RuntimeFrame)
        case timedOut
        case exited(ExitStatus)
        case protocolError(String)
    }

    /// Sends `outgoing` (if any), then collects log output until a frame arrives, the process
    /// exits, or the deadline passes.
    private func pump(until deadline: ContinuousClock.Instant, log: inout [UInt8], sending outgoing: [UInt8] = []) -> PumpOutcome {
        var sent = 0
        var logOpen = true
        let pidfd = sandbox.process.pidfd
        while true {
            do {
                if let frame = try decoder.next() { return .frame(frame) }
            } catch {
                return .protocolError("\(error)")
            }
            var reads = [control, pidfd]
            if logOpen { reads.append(logs) }
            let writes = sent < outgoing.count ? [control] : []
            let ready = PollLoop.wait(read: reads, write: writes, until: deadline)
            if ready.timedOut { return .timedOut }
            if ready.writable.contains(control) {
                guard let offset = PollLoop.writeAvailable(control, outgoing, from: sent) else {
                    return .exited(sandbox.process.waitBlocking())
                }
                sent = offset
            }
            if ready.readable.contains(logs) {
                logOpen = PollLoop.readAvailable(logs, into: &log)
            }
            if ready.readable.contains(control) {
                var bytes: [UInt8] = []
                let open = PollLoop.readAvailable(control, into: &bytes)
                bytes.withUnsafeBytes { decoder.append($0) }
                if let frame = try? decoder.next() { return .frame(frame) }
                if !open {
                    return .exited(sandbox.process.waitBlocking())
                }
            }
            if ready.readable.contains(pidfd) {
                // Read whatever the runtime managed to say before it died.
                var bytes: [UInt8] = []
                _ = PollLoop.readAvailable(control, into: &bytes)
                bytes.withUnsafeBytes { decoder.append($0) }
                if let frame = try? decoder.next() { return .frame(frame) }
                return .exited(sandbox.process.waitBlocking())
            }
        }
    }

    /// Everything the runtime wrote before it sent its answer is already in the pipe (it flushes
    /// first), so a non-blocking drain attributes every line to the right invocation.
    private func drainLogs(into log: inout [UInt8]) {
        _ = PollLoop.readAvailable(logs, into: &log)
    }

    static func errorType(of payload: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return nil }
        return object["errorType"] as? String
    }
}

func milliseconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) * 1000 + Double(atto) / 1e15
}
