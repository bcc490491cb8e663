import FnboxCgroups
import FnboxSandbox
import FnboxSystem
import Foundation
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A running sandbox with its cgroup: what an instance owns and must tear down.
public final class LaunchedSandbox: @unchecked Sendable {
    // Owned by one instance, which one caller uses at a time.
    public let process: SandboxProcess
    public let cgroup: SandboxCgroup?
    let startedAt: ContinuousClock.Instant
    private var destroyed = false

    init(process: SandboxProcess, cgroup: SandboxCgroup?, startedAt: ContinuousClock.Instant) {
        self.process = process
        self.cgroup = cgroup
        self.startedAt = startedAt
    }

    /// Peak memory of the sandbox so far, in MB rounded up (Lambda's Max Memory Used).
    func maxMemoryUsedMB() -> Int {
        guard let peak = try? cgroup?.memoryPeakBytes() else { return 0 }
        return Int((peak + (1 << 20) - 1) >> 20)
    }

    func oomKills() -> Int { (try? cgroup?.oomKillCount()) ?? 0 }

    /// Kills the process tree, reaps PID 1, and removes the cgroup. Idempotent.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
        process.kill()
        process.waitBlocking()
        // PID 1 is gone, so the kernel is killing the rest of the namespace; make sure, then rmdir.
        try? cgroup?.killAll()
        try? cgroup?.remove()
    }

    deinit { destroy() }
}

/// Builds the sandbox for a function and starts a program in it. Public for `fnbox sandbox`,
/// which measures this path alone; `namespaces` and `seccomp` are there only to take the set-up
/// cost apart (every function gets the defaults).
public enum SandboxLauncher {
    public static func launch(
        config: FunctionConfig, bundleRoot: FilePath, options: InstanceOptions,
        executable: String, arguments: [String], environment: [String],
        fds: [Int32], cpuQuota: CPUQuota?, namespaces: Namespaces = .all, seccomp: Bool = true
    ) throws(InstanceError) -> LaunchedSandbox {
        let startedAt = ContinuousClock.now
        let id = CgroupManager.sandboxName(label: "\(config.name)-\(UUID().uuidString.prefix(8).lowercased())")
        var cgroup: SandboxCgroup?
        if let manager = options.cgroups {
            let limits = CgroupLimits(
                memoryBytes: UInt64(config.memoryMB) << 20, cpu: cpuQuota, pidsMax: options.pidsMax)
            do {
                cgroup = try manager.createSandboxCgroup(name: id, limits: limits)
            } catch {
                throw .cgroup(error)
            }
        }
        var procsFDs: [Int32] = []
        defer { for fd in procsFDs { close(fd) } }
        var directoryFD: Int32?
        defer { if let directoryFD { close(directoryFD) } }
        if let cgroup {
            if let unified = cgroup.unifiedDirectory {
                let fd = open(unified.string, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if fd >= 0 { directoryFD = fd }
            }
            if directoryFD == nil {
                for file in cgroup.procsFiles {
                    let fd = open(file.string, O_WRONLY | O_CLOEXEC)
                    guard fd >= 0 else {
                        let err = Errno(rawValue: errno)
                        try? cgroup.remove()
                        throw .system(SystemCallError("open", path: file, errno: err))
                    }
                    procsFDs.append(fd)
                }
            }
        }
        do {
            try FileIO.makeDirectories(options.newRoot, mode: 0o700)
        } catch {
            try? cgroup?.remove()
            throw .system(error)
        }
        let layout = SandboxLayout(
            newRoot: options.newRoot, rootfs: options.rootfs, bundle: bundleRoot, tmpSizeMB: options.tmpSizeMB,
            extraMounts: config.mounts.map {
                SandboxLayout.Mount(source: FilePath($0.source), target: FilePath($0.target), readOnly: $0.readOnly)
            })
        let spec = SandboxSpec(
            executable: executable, arguments: arguments, environment: environment, newRoot: options.newRoot,
            mounts: layout.mountTable(), workingDirectory: "/var/task", hostname: "fnbox",
            uid: options.uid, gid: options.gid, fds: fds, cgroupProcsFDs: procsFDs,
            cgroupDirectoryFD: directoryFD, namespaces: namespaces, seccomp: seccomp)
        do {
            let process = try Sandbox.spawnBlocking(spec)
            return LaunchedSandbox(process: process, cgroup: cgroup, startedAt: startedAt)
        } catch {
            try? cgroup?.remove()
            throw .spawn(error)
        }
    }
}

/// Why an instance could not be started.
public enum InstanceError: Error, Sendable, CustomStringConvertible {
    case cgroup(CgroupError)
    case spawn(SpawnError)
    case system(SystemCallError)
    case notReady(String)

    public var description: String {
        switch self {
        case .cgroup(let e): return "cgroup: \(e)"
        case .spawn(let e): return "\(e)"
        case .system(let e): return "\(e)"
        case .notReady(let why): return "instance not ready: \(why)"
        }
    }
}
