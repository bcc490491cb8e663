@testable import FnboxServer
import Foundation
import Testing

/// The built `fnboxd` binary, as systemd would run it.
@Suite("fnboxd binary", .serialized)
struct DaemonProcessTests {
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("fnboxd").path
    }

    /// Leaves a socket file nobody listens on, as a killed daemon would.
    static func makeStaleSocket(_ path: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        close(fd)
    }

    @Test("replaces a stale socket, and on SIGTERM finishes the call in flight, exits 0 and removes its socket")
    func sigtermIsGraceful() async throws {
        let binary = Self.binary
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build fnboxd first: \(binary)")
        let harness = DaemonHarness()  // for its paths and client helpers; not started in process
        defer {
            try? FileManager.default.removeItem(atPath: harness.stateDir)
            unlink(harness.socketPath)
        }
        Self.makeStaleSocket(harness.socketPath)
        #expect(FileManager.default.fileExists(atPath: harness.socketPath))
        #expect(!UnixSocketPath.isLive(harness.socketPath))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--socket", harness.socketPath, "--state-dir", harness.stateDir, "--log-level", "warning"]
        let logFile = harness.stateDir + ".log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: logFile) }
        process.standardError = FileHandle(forWritingAtPath: logFile)
        try process.run()
        defer { if process.isRunning { process.interrupt(); kill(process.processIdentifier, SIGKILL) } }
        for _ in 0..<100 where !UnixSocketPath.isLive(harness.socketPath) { try await Task.sleep(for: .milliseconds(50)) }
        try #require(UnixSocketPath.isLive(harness.socketPath), "fnboxd did not start: \((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "")")

        #expect(try await harness.createPython("slow", files: ["app.py": Handlers.counter]).status == 201)
        async let inFlight = harness.invoke("slow", #"{"sleep": 1}"#)
        try await Task.sleep(for: .milliseconds(400))
        kill(process.processIdentifier, SIGTERM)
        let response = try await inFlight
        #expect(response.status == 200)
        #expect(response.json?["count"] as? Int == 1)
        for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        if !process.isRunning {
            #expect(process.terminationStatus == 0)
        }
        #expect(!FileManager.default.fileExists(atPath: harness.socketPath))
    }
}
