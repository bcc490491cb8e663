import FnboxSystem
import Foundation
import SystemPackage

/// Finds the `rootfs/` skeleton (etc, and the runtime bootstrap in var/runtime).
public enum RootfsLocator {
    public enum LocateError: Error, CustomStringConvertible {
        case notFound(searched: [String])
        public var description: String {
            "cannot find fnbox's rootfs (var/runtime/bootstrap.py); set FNBOX_ROOTFS. Searched: \(searched.joined(separator: ", "))"
        }
        var searched: [String] {
            switch self { case .notFound(let s): return s }
        }
    }

    /// `$FNBOX_ROOTFS`; else a `rootfs/` beside the executable or in one of its parent directories
    /// (a build tree: `.build/debug/fnbox` finds the checkout's `rootfs/`); else the installed
    /// `/usr/local/share/fnbox/rootfs` or `/usr/share/fnbox/rootfs`.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws(LocateError) -> FilePath {
        var searched: [String] = []
        func valid(_ path: String) -> Bool {
            searched.append(path)
            return FileIO.exists(FilePath(path).appending("var/runtime/bootstrap.py"))
        }
        if let explicit = environment["FNBOX_ROOTFS"], !explicit.isEmpty {
            if valid(explicit) { return FilePath(explicit) }
            throw .notFound(searched: searched)
        }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent().standardizedFileURL
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("rootfs").path
            if valid(candidate) { return FilePath(candidate) }
            let share = dir.appendingPathComponent("share/fnbox/rootfs").path
            if valid(share) { return FilePath(share) }
            if dir.path == "/" { break }
            dir = dir.deletingLastPathComponent()
        }
        for path in ["/usr/local/share/fnbox/rootfs", "/usr/share/fnbox/rootfs"] where valid(path) {
            return FilePath(path)
        }
        throw .notFound(searched: searched)
    }
}
