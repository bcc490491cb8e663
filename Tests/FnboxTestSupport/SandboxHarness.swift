import FnboxCgroups
import FnboxRuntime
import FnboxSystem
import Foundation
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Builds throwaway function bundles and runs them in real sandboxes.
public struct SandboxHarness: Sendable {
    public let options: InstanceOptions
    public let cgroups: CgroupManager

    public init() throws {
        let cgroups = try CgroupManager.detect()
        self.cgroups = cgroups
        self.options = InstanceOptions(rootfs: try RootfsLocator.locate(), cgroups: cgroups)
    }

    /// A bundle directory holding `files` (name → contents), readable by the sandbox user.
    public static func makeBundle(_ files: [String: String], executable: Set<String> = []) throws -> FilePath {
        var template = Array("/tmp/fnbox-test-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw SystemCallError("mkdtemp", errno: Errno(rawValue: errno)) }
        let root = String(cString: dir)
        chmod(root, 0o755)
        for (name, contents) in files {
            let path = root + "/" + name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o755])
            try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
            chmod(path, executable.contains(name) ? 0o755 : 0o644)
        }
        return FilePath(root)
    }

    public static func removeBundle(_ path: FilePath) {
        try? FileManager.default.removeItem(atPath: path.string)
    }

    /// Runs a Python handler once, in a fresh sandbox. `source` is app.py; the handler is app.handler.
    public func runPython(
        _ source: String, event: String = "{}", memoryMB: Int = 128, timeoutSeconds: Int = 3,
        environment: [String: String] = [:], mounts: [FunctionMount] = [], options override: InstanceOptions? = nil,
        extraFiles: [String: String] = [:]
    ) throws -> InvocationResult {
        var files = extraFiles
        files["app.py"] = source
        let bundle = try Self.makeBundle(files)
        defer { Self.removeBundle(bundle) }
        let config = FunctionConfig(
            name: "test", runtime: .python3, handler: "app.handler", memoryMB: memoryMB, timeoutSeconds: timeoutSeconds,
            environment: environment, mounts: mounts)
        let opts = override ?? options
        let request = InvocationRequest(payload: Array(event.utf8), invokedFunctionARN: opts.functionARN(config.name))
        return try FunctionRunner.runOnce(config: config, bundleRoot: bundle, request: request, options: opts)
    }

    /// Parses a JSON object payload.
    public static func object(_ payload: [UInt8]) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any]
    }

    /// Directories left under fnbox's cgroup parents: must be empty after every test.
    public func leftoverCgroups() -> [String] {
        var left: [String] = []
        for parent in cgroups.drivers.map({ $0.ownCgroup.appending("fnbox") }) {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent.string) else { continue }
            for entry in entries where FileIO.isDirectory(parent.appending(entry)) {
                left.append(parent.appending(entry).string)
            }
        }
        return left
    }

    /// Mounts of this process's namespace that mention fnbox: must be none (sandbox mounts live
    /// only in the sandboxes' own namespaces).
    public static func leftoverMounts() -> [String] {
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains("fnbox") }.map(String.init)
    }

    /// Processes whose cgroup path names an fnbox sandbox.
    public static func leftoverProcesses() -> [String] {
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var left: [String] = []
        for pid in pids where Int(pid) != nil {
            guard let cg = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { continue }
            if cg.contains("/fnbox/") { left.append(pid) }
        }
        return left
    }
}
