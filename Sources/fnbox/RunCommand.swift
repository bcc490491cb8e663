import ArgumentParser
import FnboxCgroups
import FnboxRuntime
import Foundation
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one invocation of a function in a fresh sandbox.",
        discussion: """
            Prints exactly the payload Lambda's Invoke would return on stdout, and the function's log \
            framed by START, END and REPORT lines on stderr. Exit status: 0 success, 1 the function \
            failed (error, timeout, out of memory), 2 a usage error.

              fnbox run examples/hello --event '{"name":"fnbox"}'
              echo '{"n": 3}' | fnbox run ./my-function.zip --memory 256 --timeout 10
            """
    )

    @Argument(help: "A bundle: a directory or a .zip, with an optional fnbox.toml.")
    var bundle: String

    @Option(help: "Handler: module.function for python3, a path for exec (overrides fnbox.toml).")
    var handler: String?

    @OptionGroup var event: EventOptions

    @Option(help: "Memory in MB, 128-10240 (overrides fnbox.toml).")
    var memory: Int?

    @Option(help: "Timeout in seconds, 1-900 (overrides fnbox.toml).")
    var timeout: Int?

    @Option(help: "CPUs after init (default: memory / 1769 MB, as Lambda).")
    var cpus: Double?

    @Option(name: .customLong("env"), help: "An environment variable K=V for the function (repeatable).")
    var env: [String] = []

    func validate() throws {
        for item in env where !item.contains("=") {
            throw ValidationError("--env '\(item)': expected KEY=VALUE")
        }
        if let cpus, !(cpus > 0 && cpus <= 64) {
            throw ValidationError("--cpus \(cpus): expected a number of CPUs between 0 and 64")
        }
    }

    func run() throws {
        let payload = try event.read()
        var overrides = ConfigOverrides()
        overrides.handler = handler
        overrides.memoryMB = memory
        overrides.timeoutSeconds = timeout
        for item in env {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            overrides.environment[String(parts[0])] = String(parts[1])
        }
        let functionBundle: FunctionBundle
        do {
            functionBundle = try FunctionBundle.open(FilePath(bundle), overrides: overrides)
        } catch {
            throw fail("\(error)", status: 2)
        }
        defer { functionBundle.removeTemporaryFiles() }

        let rootfs: FilePath
        do {
            rootfs = try RootfsLocator.locate()
        } catch {
            throw fail("\(error)", status: 1)
        }
        let cgroups: CgroupManager
        do {
            cgroups = try CgroupManager.detect()
        } catch {
            throw fail("cgroups: \(error)", status: 1)
        }
        let options = InstanceOptions(rootfs: rootfs, cpus: cpus, cgroups: cgroups)
        let config = functionBundle.config
        let request = InvocationRequest(payload: payload, invokedFunctionARN: options.functionARN(config.name))

        // SIGINT/SIGTERM: kill the sandbox; the invocation then returns and everything is removed
        // below before exiting, so no process, mount or cgroup outlives `fnbox run`.
        let interruption = Interruption()
        interruption.install()

        let instance: any FunctionInstance
        do {
            instance = try InstanceFactory.start(config: config, bundleRoot: functionBundle.root, options: options)
        } catch {
            throw fail("\(error)", status: 1)
        }
        interruption.watch(instance)
        let result = interruption.wasInterrupted ? nil : instance.invoke(request)
        instance.destroy()
        if let signal = interruption.signalReceived {
            functionBundle.removeTemporaryFiles()
            throw ExitCode(128 + signal)
        }
        guard let result else { throw ExitCode(1) }

        let stderr = FileHandle.standardError
        stderr.write(Data(result.initLog.utf8))
        stderr.write(Data(result.framedLog.utf8))
        FileHandle.standardOutput.write(Data(result.payload))
        if isatty(1) == 1 { FileHandle.standardOutput.write(Data("\n".utf8)) }
        if !result.status.isSuccess { throw ExitCode(1) }
    }
}

/// Turns SIGINT and SIGTERM into "kill the sandbox, clean up, exit 128+N".
final class Interruption: @unchecked Sendable {
    // Guarded by `lock`: set from the signal queue, read by the main thread.
    private let lock = NSLock()
    private var instance: (any FunctionInstance)?
    private var received: Int32?
    private var sources: [any DispatchSourceSignal] = []

    var signalReceived: Int32? { lock.withLock { received } }
    var wasInterrupted: Bool { signalReceived != nil }

    func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                let target: (any FunctionInstance)? = lock.withLock {
                    received = sig
                    return instance
                }
                target?.interrupt()
            }
            source.resume()
            sources.append(source)
        }
    }

    func watch(_ instance: any FunctionInstance) {
        let alreadyInterrupted: Bool = lock.withLock {
            self.instance = instance
            return received != nil
        }
        if alreadyInterrupted { instance.interrupt() }
    }
}
