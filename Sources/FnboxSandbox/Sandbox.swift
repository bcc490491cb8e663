import CFnboxShims
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Starts sandboxes. The work between `clone3` and `execve` is all C (`CShims/spawn.c`); this
/// side turns a `SandboxSpec` into the C tables, keeps them alive across the call, and runs it on
/// a long-lived spawn thread.
public enum Sandbox {
    /// The kernel's highest capability number, read once: it cannot change while we run, and the
    /// spawn path should not reread /proc for every sandbox.
    private static let lastCapability = fnbox_last_cap()

    /// Starts a sandbox and returns once its program has exec'd.
    /// - Throws: `SpawnError` naming the setup stage that failed.
    public static func spawn(_ spec: SandboxSpec) async throws(SpawnError) -> SandboxProcess {
        let result = await SpawnThreads.shared.run { spawnOnThisThread(spec) }
        return try result.get()
    }

    /// The blocking form, for callers that are not async (the CLI's main path, benchmarks).
    public static func spawnBlocking(_ spec: SandboxSpec) throws(SpawnError) -> SandboxProcess {
        let result = SpawnThreads.shared.runBlocking { spawnOnThisThread(spec) }
        return try result.get()
    }

    private static func spawnOnThisThread(_ spec: SandboxSpec) -> Result<SandboxProcess, SpawnError> {
        var seccompPointer: UnsafeRawPointer?
        var seccompCount: UInt32 = 0
        if spec.seccomp {
            switch SeccompProgram.shared {
            case .success(let program):
                seccompPointer = program.instructions
                seccompCount = program.count
            case .failure(let error):
                return .failure(error)
            }
        }
        let strings = CStringArena()
        defer { strings.free() }

        let argv = strings.array(spec.arguments)
        let envp = strings.array(spec.environment)
        let mounts: [fnbox_mount_op] = spec.mounts.map { op in
            var c = fnbox_mount_op()
            switch op {
            case .filesystem(let type, let source, let target, let flags, let data):
                c.kind = Int32(FNBOX_MOUNT_FS)
                c.fstype = strings.string(type)
                c.source = strings.string(source)
                c.target = strings.string(target.string)
                c.data = data.map { strings.string($0) }
                c.flags = flags.rawValue
            case .bind(let source, let target, let readOnly, let flags):
                c.kind = Int32(FNBOX_MOUNT_BIND)
                c.source = strings.string(source.string)
                c.target = strings.string(target.string)
                c.options = readOnly ? Int32(FNBOX_MOUNT_READ_ONLY) : 0
                c.flags = flags.rawValue
            case .directory(let path, let mode):
                c.kind = Int32(FNBOX_MOUNT_MKDIR)
                c.target = strings.string(path.string)
                c.mode = mode
            case .file(let path, let mode):
                c.kind = Int32(FNBOX_MOUNT_FILE)
                c.target = strings.string(path.string)
                c.mode = mode
            case .symlink(let target, let at):
                c.kind = Int32(FNBOX_MOUNT_SYMLINK)
                c.source = strings.string(target)
                c.target = strings.string(at.string)
            }
            return c
        }
        let rlimits = spec.rlimits.map { fnbox_rlimit(resource: $0.resource, soft: $0.soft, hard: $0.hard) }
        var cloneFlags = spec.namespaces
        cloneFlags.remove(.cgroup)

        var result = fnbox_spawn_result()
        let rc: Int32 = mounts.withUnsafeBufferPointer { mountsBuffer in
            rlimits.withUnsafeBufferPointer { rlimitBuffer in
                spec.fds.withUnsafeBufferPointer { fdBuffer in
                    spec.cgroupProcsFDs.withUnsafeBufferPointer { procsBuffer in
                        var c = fnbox_spawn_spec()
                        c.path = strings.string(spec.executable)
                        c.argv = argv
                        c.envp = envp
                        c.new_root = strings.string(spec.newRoot.string)
                        c.cwd = strings.string(spec.workingDirectory)
                        c.hostname = strings.string(spec.hostname)
                        c.mounts = mountsBuffer.baseAddress
                        c.mount_count = Int32(mountsBuffer.count)
                        c.rlimits = rlimitBuffer.baseAddress
                        c.rlimit_count = Int32(rlimitBuffer.count)
                        c.uid = spec.uid
                        c.gid = spec.gid
                        c.last_cap = lastCapability
                        c.fds = fdBuffer.baseAddress
                        c.fd_count = Int32(fdBuffer.count)
                        c.cgroup_procs_fds = procsBuffer.baseAddress
                        c.cgroup_procs_count = Int32(procsBuffer.count)
                        c.cgroup_dir_fd = spec.cgroupDirectoryFD ?? -1
                        c.seccomp_filter = seccompPointer
                        c.seccomp_filter_len = seccompCount
                        c.clone_flags = cloneFlags.rawValue
                        c.new_cgroup_ns = spec.namespaces.contains(.cgroup) ? 1 : 0
                        c.loopback_up = spec.namespaces.contains(.network) ? 1 : 0
                        return fnbox_spawn(&c, &result)
                    }
                }
            }
        }
        guard rc == 0 else {
            return .failure(SpawnError(record: result.error, spec: spec))
        }
        return .success(SandboxProcess(pid: result.pid, pidfd: result.pidfd))
    }
}

/// C strings that live until `free()`: the child reads them after clone, so they must outlive
/// the whole `fnbox_spawn` call.
private final class CStringArena {
    private var pointers: [UnsafeMutablePointer<CChar>] = []
    private var arrays: [UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>] = []

    func string(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        pointers.append(p)
        return UnsafePointer(p)
    }

    func array(_ items: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let buffer = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: items.count + 1)
        for (i, item) in items.enumerated() {
            let p = strdup(item)!
            pointers.append(p)
            buffer[i] = p
        }
        buffer[items.count] = nil
        arrays.append(buffer)
        return UnsafePointer(buffer)
    }

    func free() {
        for p in pointers { Glibc.free(p) }
        for a in arrays { a.deallocate() }
        pointers.removeAll()
        arrays.removeAll()
    }
}
