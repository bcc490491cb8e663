import ArgumentParser
import FnboxCgroups
import FnboxRuntime
import FnboxSandbox
import Foundation
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// `fnbox sandbox`: the sandbox a function gets, around any command, for measuring and debugging.
/// `bench/run` uses it to time sandbox set-up alone, in-process, without the Swift binary's start-up.
struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a command in a function's sandbox (for benchmarks and debugging).",
        discussion: """
            Builds the same sandbox as `fnbox run` (every namespace, the root layout with the bundle \
            at /var/task, seccomp, capabilities dropped, cgroups) around CMD, waits for it and tears \
            it down, --count times in this one process. CMD is a path inside the sandbox and shares \
            fnbox's stdin, stdout and stderr. With --json, prints the wall time of each iteration \
            (create, run, wait, destroy) in microseconds as one JSON object on stdout at the end.

              fnbox sandbox -- /bin/sh -c 'id; hostname; ls /'
              fnbox sandbox --count 200 --json -- /bin/true
            """
    )

    @Option(help: "Times to create the sandbox, run CMD in it, and tear it down.")
    var count: Int = 1

    @Flag(name: .customLong("no-cgroup"), help: "Do not create a cgroup per sandbox.")
    var noCgroup = false

    @Flag(name: .customLong("no-seccomp"), help: "Do not load the seccomp policy (to measure its cost only).")
    var noSeccomp = false

    @Flag(name: .customLong("no-netns"), help: "Share the host's network namespace (to measure its cost only).")
    var noNetns = false

    @Option(help: "A directory to bind at /var/task (default: an empty one).")
    var bundle: String?

    @Option(help: "The sandbox's memory limit in MB.")
    var memory: Int = FunctionConfig.defaultMemoryMB

    @Flag(help: "Print the per-iteration wall times as JSON on stdout.")
    var json = false

    @Argument(parsing: .postTerminator, help: "The command, as a path inside the sandbox, and its arguments.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command after --, e.g. fnbox sandbox -- /bin/true") }
        if count < 1 { throw ValidationError("--count \(count): expected at least 1") }
        if !FunctionConfig.memoryRangeMB.contains(memory) {
            throw ValidationError("--memory \(memory): expected \(FunctionConfig.memoryRangeMB)")
        }
    }

    func run() throws {
        let rootfs: FilePath
        do {
            rootfs = try RootfsLocator.locate()
        } catch {
            throw fail("\(error)", status: 1)
        }
        var cgroups: CgroupManager?
        if !noCgroup {
            do {
                cgroups = try CgroupManager.detect()
            } catch {
                throw fail("cgroups: \(error)", status: 1)
            }
        }
        var emptyBundle: String?
        defer { if let emptyBundle { rmdir(emptyBundle) } }
        let bundleRoot: FilePath
        if let bundle {
            bundleRoot = FilePath(bundle)
        } else {
            var template = Array("/tmp/fnbox-sandbox-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw fail("mkdtemp: \(String(cString: strerror(errno)))", status: 1) }
            emptyBundle = String(cString: made)
            bundleRoot = FilePath(emptyBundle!)
        }
        let options = InstanceOptions(rootfs: rootfs, cgroups: cgroups)
        let config = FunctionConfig(name: "sandbox", runtime: .exec, handler: command[0], memoryMB: memory)
        var namespaces = Namespaces.all
        if noNetns { namespaces.remove(.network) }
        let environment = ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "HOME=/tmp"]

        var micros: [Double] = []
        micros.reserveCapacity(count)
        var failures = 0
        var lastStatus = ""
        for _ in 0..<count {
            let started = ContinuousClock.now
            let sandbox: LaunchedSandbox
            do {
                sandbox = try SandboxLauncher.launch(
                    config: config, bundleRoot: bundleRoot, options: options, executable: command[0],
                    arguments: command, environment: environment, fds: [0, 1, 2],
                    cpuQuota: nil, namespaces: namespaces, seccomp: !noSeccomp)
            } catch {
                throw fail("\(error)", status: 1)
            }
            let status = sandbox.process.waitBlocking()
            sandbox.destroy()
            let elapsed = ContinuousClock.now - started
            micros.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
            if status != .exited(0) {
                failures += 1
                lastStatus = "\(status)"
            }
        }
        if json {
            let object: [String: Any] = [
                "command": command, "count": count, "cgroup": !noCgroup, "seccomp": !noSeccomp,
                "netns": !noNetns, "failures": failures, "micros": micros,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else if count > 1 {
            let sorted = micros.sorted()
            let p50 = sorted[sorted.count / 2]
            FileHandle.standardError.write(Data("fnbox: \(count) sandboxes, p50 \(Int(p50)) µs\n".utf8))
        }
        if failures > 0 {
            throw fail("\(failures) of \(count) runs failed (last: \(lastStatus))", status: 1)
        }
    }
}
