import FnboxSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `fnbox` and `fnboxd`, beside the test bundle in the build directory.
enum Binaries {
    static var directory: URL {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }

    static var fnbox: String { directory.appendingPathComponent("fnbox").path }
    static var fnboxd: String { directory.appendingPathComponent("fnboxd").path }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}

/// What one run of the `fnbox` binary did.
struct CLIResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }

    /// stdout parsed as JSON.
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed]) }
}

/// Runs `fnbox` with `arguments`, stdin from `stdin` (else empty), stdout and stderr to files
/// (no pipe to fill up), and `environment` over this process's, minus FNBOX_SOCKET unless given.
func runFnbox(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> CLIResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fnbox-cli-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
    let inURL = scratch.appendingPathComponent("stdin")
    for url in [outURL, errURL, inURL] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
    try Data((stdin ?? "").utf8).write(to: inURL)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: Binaries.fnbox)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["FNBOX_SOCKET"] = nil
    env.merge(environment) { $1 }
    process.environment = env
    process.standardInput = try FileHandle(forReadingFrom: inURL)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    // A hung client must fail the test, not the whole run: kill it after two minutes (exit 9).
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
    process.waitUntilExit()
    watchdog.cancel()
    return CLIResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// A real fnboxd binary on a temporary socket and state dir, stopped with SIGTERM.
final class DaemonProcess {
    let socketPath: String
    let stateDir: String
    private let logPath: String
    private let process = Process()

    init() throws {
        let id = UUID().uuidString.prefix(8).lowercased()
        socketPath = "/tmp/fnboxd-cli-\(id).sock"
        stateDir = "/tmp/fnboxd-cli-state-\(id)"
        logPath = stateDir + ".log"
        try #require(FileManager.default.isExecutableFile(atPath: Binaries.fnboxd), "build fnboxd first: \(Binaries.fnboxd)")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Binaries.fnboxd)
        process.arguments = ["--socket", socketPath, "--state-dir", stateDir, "--log-level", "info"]
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        for _ in 0..<200 where !Self.accepts(socketPath) && process.isRunning { usleep(25_000) }
        guard Self.accepts(socketPath) else {
            stop()
            throw DaemonDidNotStart(log: log)
        }
    }

    struct DaemonDidNotStart: Error, CustomStringConvertible {
        var log: String
        var description: String { "fnboxd did not start:\n\(log)" }
    }

    /// What fnboxd logged so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: stateDir)
        try? FileManager.default.removeItem(atPath: logPath)
        unlink(socketPath)
    }

    /// Whether something accepts connections on `path`.
    static func accepts(_ path: String) -> Bool { UnixSocket.accepts(path) }

    /// Runs `body` against a started daemon and always stops it.
    static func with<T>(_ body: (DaemonProcess) throws -> T) throws -> T {
        let daemon = try DaemonProcess()
        defer { daemon.stop() }
        return try body(daemon)
    }
}
