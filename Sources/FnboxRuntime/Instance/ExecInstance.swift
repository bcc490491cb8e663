import FnboxCgroups
import FnboxSandbox
import FnboxSystem
import Foundation
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// An `exec` function: any executable in the bundle, run once per invocation in a fresh sandbox,
/// with the event JSON on stdin, the result on stdout and its logs on stderr. A non-zero exit is
/// an error. Every call is a cold start: there is no runtime to keep warm.
final class ExecInstance: FunctionInstance, @unchecked Sendable {
    // Used by one caller at a time.
    let config: FunctionConfig
    private let bundleRoot: FilePath
    private let options: InstanceOptions
    private let currentLock = NSLock()
    private var _current: LaunchedSandbox?
    private var current: LaunchedSandbox? {
        get { currentLock.withLock { _current } }
        set { currentLock.withLock { _current = newValue } }
    }
    private var destroyed = false

    var isReusable: Bool { !destroyed }
    var cgroup: SandboxCgroup? { current?.cgroup }

    init(config: FunctionConfig, bundleRoot: FilePath, options: InstanceOptions) {
        self.config = config
        self.bundleRoot = bundleRoot
        self.options = options
    }

    func invoke(_ request: InvocationRequest) -> InvocationResult {
        let started = ContinuousClock.now
        func failure(_ type: String, _ message: String, status: InvocationStatus, log: [UInt8] = [], duration: Double, initDuration: Double?, memory: Int) -> InvocationResult {
            InvocationResult(
                requestID: request.requestID, payload: JSONText.errorPayload(type: type, message: message), status: status,
                durationMilliseconds: duration, initDurationMilliseconds: initDuration, memorySizeMB: config.memoryMB,
                maxMemoryUsedMB: memory, functionLog: String(decoding: log, as: UTF8.self))
        }
        let stdinPipe, stdoutPipe, stderrPipe: (Int32, Int32)
        do {
            stdinPipe = try Pipes.makePipe()
            stdoutPipe = try Pipes.makePipe()
            stderrPipe = try Pipes.makePipe()
        } catch {
            return failure("Runtime.Unknown", "RequestId: \(request.requestID) Error: \(error)", status: .crashed("\(error)"), duration: 0, initDuration: nil, memory: 0)
        }
        var stdinFD = stdinPipe.1
        defer {
            if stdinFD >= 0 { close(stdinFD) }
            close(stdoutPipe.0)
            close(stderrPipe.0)
        }
        let executable = "/var/task/" + config.handler
        var env = LambdaEnvironment.variables(config: config, options: options)
        env.append("AWS_LAMBDA_REQUEST_ID=\(request.requestID)")
        let sandbox: LaunchedSandbox
        do {
            sandbox = try SandboxLauncher.launch(
                config: config, bundleRoot: bundleRoot, options: options, executable: executable,
                arguments: [executable], environment: env, fds: [stdinPipe.0, stdoutPipe.1, stderrPipe.1],
                cpuQuota: options.cpuQuota(memoryMB: config.memoryMB))
        } catch {
            close(stdinPipe.0); close(stdoutPipe.1); close(stderrPipe.1)
            return failure(
                "Runtime.InvalidEntrypoint", "RequestId: \(request.requestID) Error: \(error)", status: .error(type: "Runtime.InvalidEntrypoint"),
                duration: 0, initDuration: milliseconds(ContinuousClock.now - started), memory: 0)
        }
        close(stdinPipe.0); close(stdoutPipe.1); close(stderrPipe.1)
        current = sandbox
        defer {
            sandbox.destroy()
            current = nil
        }
        let initDuration = milliseconds(ContinuousClock.now - started)
        let runStarted = ContinuousClock.now
        let deadline = runStarted + .seconds(config.timeoutSeconds)
        PollLoop.setNonBlocking(stdinPipe.1)
        PollLoop.setNonBlocking(stdoutPipe.0)
        PollLoop.setNonBlocking(stderrPipe.0)

        var sent = 0
        var stdinOpen = true
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var stdoutOpen = true, stderrOpen = true
        var exit: ExitStatus?
        var timedOut = false
        let pidfd = sandbox.process.pidfd
        // Closing our end of stdin is the EOF the function reads.
        func closeStdin() {
            if stdinFD >= 0 { close(stdinFD) }
            stdinFD = -1
            stdinOpen = false
        }
        if request.payload.isEmpty { closeStdin() }
        while stdoutOpen || stderrOpen || exit == nil {
            var reads: [Int32] = []
            if stdoutOpen { reads.append(stdoutPipe.0) }
            if stderrOpen { reads.append(stderrPipe.0) }
            if exit == nil { reads.append(pidfd) }
            let writes = stdinOpen ? [stdinPipe.1] : []
            let ready = PollLoop.wait(read: reads, write: writes, until: deadline)
            if ready.timedOut {
                timedOut = true
                break
            }
            if ready.writable.contains(stdinPipe.1) {
                if let offset = PollLoop.writeAvailable(stdinPipe.1, request.payload, from: sent) {
                    sent = offset
                    if sent >= request.payload.count { closeStdin() }
                } else {
                    closeStdin()
                }
            }
            if ready.readable.contains(stdoutPipe.0) { stdoutOpen = PollLoop.readAvailable(stdoutPipe.0, into: &stdout) }
            if ready.readable.contains(stderrPipe.0) { stderrOpen = PollLoop.readAvailable(stderrPipe.0, into: &stderr) }
            if ready.readable.contains(pidfd) {
                exit = sandbox.process.waitBlocking()
                // PID 1 is gone, so every other process in the namespace is being killed: the pipes
                // reach EOF once the kernel has closed their fds.
            }
            if stdout.count > 6 * 1024 * 1024 + 100 { break }
        }
        let duration = milliseconds(ContinuousClock.now - runStarted)
        let memory = sandbox.maxMemoryUsedMB()
        if timedOut {
            sandbox.destroy()
            let seconds = String(format: "%.2f", Double(config.timeoutSeconds))
            return failure("Sandbox.Timedout", "RequestId: \(request.requestID) Error: Task timed out after \(seconds) seconds",
                           status: .timeout, log: stderr, duration: Double(config.timeoutSeconds) * 1000,
                           initDuration: initDuration, memory: memory)
        }
        let status = exit ?? sandbox.process.waitBlocking()
        if sandbox.oomKills() > 0 {
            return failure("Runtime.OutOfMemory", "RequestId: \(request.requestID) Error: Runtime exited with error: signal: killed",
                           status: .outOfMemory, log: stderr, duration: duration, initDuration: initDuration, memory: memory)
        }
        guard status == .exited(0) else {
            return failure("Runtime.ExitError", "RequestId: \(request.requestID) Error: Runtime exited with error: \(status)",
                           status: .error(type: "Runtime.ExitError"), log: stderr, duration: duration, initDuration: initDuration, memory: memory)
        }
        while let last = stdout.last, last == 0x0A || last == 0x0D { stdout.removeLast() }
        return InvocationResult(
            requestID: request.requestID, payload: stdout, status: .success, durationMilliseconds: duration,
            initDurationMilliseconds: initDuration, memorySizeMB: config.memoryMB, maxMemoryUsedMB: memory,
            functionLog: String(decoding: stderr, as: UTF8.self))
    }

    func destroy() {
        destroyed = true
        current?.destroy()
    }

    func interrupt() {
        current?.process.kill()
    }
}
