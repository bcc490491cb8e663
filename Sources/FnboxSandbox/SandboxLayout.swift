import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The filesystem a function sees, as a mount table for the child:
///
///     /             tmpfs, read-only once built (remounted after pivot_root)
///     /usr          the host's, read-only; /bin, /lib, /lib64, /sbin mirror the host (symlinks on merged-usr)
///     /etc          rootfs/etc of this repo, read-only (passwd, group, hosts: no host secrets)
///     /var/runtime  rootfs/var/runtime, read-only (the runtime bootstrap)
///     /var/task     the bundle, read-only
///     /proc         a fresh procfs for the sandbox's pid namespace
///     /dev          tmpfs with null, zero, full, random, urandom bound from the host
///     /tmp          a size-limited tmpfs, the only writable place
///     /mnt/...      the function's configured host directories
public struct SandboxLayout: Sendable {
    /// Host directory on which the root tmpfs is mounted (inside the child's private mount namespace).
    public var newRoot: FilePath
    /// The repo's `rootfs/` skeleton.
    public var rootfs: FilePath
    /// The function's code.
    public var bundle: FilePath
    /// Size of the writable `/tmp` in MB.
    public var tmpSizeMB: Int
    /// Extra host directories, each under `/mnt`.
    public var extraMounts: [Mount]
    /// Host top-level directories to mirror (bound read-only, or symlinked where the host symlinks).
    public var hostSystemDirectories: [String]

    public struct Mount: Sendable, Equatable {
        public var source: FilePath
        public var target: FilePath
        public var readOnly: Bool
        public init(source: FilePath, target: FilePath, readOnly: Bool) {
            self.source = source
            self.target = target
            self.readOnly = readOnly
        }
    }

    public init(
        newRoot: FilePath, rootfs: FilePath, bundle: FilePath, tmpSizeMB: Int = 512,
        extraMounts: [Mount] = [], hostSystemDirectories: [String] = ["usr", "bin", "sbin", "lib", "lib64", "lib32", "libx32"]
    ) {
        self.newRoot = newRoot
        self.rootfs = rootfs
        self.bundle = bundle
        self.tmpSizeMB = tmpSizeMB
        self.extraMounts = extraMounts
        self.hostSystemDirectories = hostSystemDirectories
    }

    /// The devices a function gets, bound from the host's /dev.
    public static let devices = ["null", "zero", "full", "random", "urandom"]

    /// Builds the mount table. Reads the host's top-level entries (lstat/readlink) to mirror them.
    public func mountTable() -> [MountOp] {
        let root = newRoot
        func at(_ path: String) -> FilePath { root.appending(path.split(separator: "/").map(String.init).filter { !$0.isEmpty }.map { FilePath.Component($0)! }) }
        var ops: [MountOp] = []
        ops.append(.filesystem(type: "tmpfs", source: "fnbox-root", target: root, flags: [.noSUID, .noDev],
                               data: "size=1m,mode=0755"))
        for name in hostSystemDirectories {
            let host = "/" + name
            var st = stat()
            guard lstat(host, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFLNK {
                var buffer = [CChar](repeating: 0, count: 4096)
                let n = readlink(host, &buffer, buffer.count - 1)
                guard n > 0 else { continue }
                let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                ops.append(.symlink(target: target, at: at(name)))
            } else if (st.st_mode & S_IFMT) == S_IFDIR {
                ops.append(.directory(at(name), mode: 0o755))
                ops.append(.bind(source: FilePath(host), target: at(name), readOnly: true, flags: [.noDev]))
            }
        }
        ops.append(.directory(at("etc"), mode: 0o755))
        ops.append(.bind(source: rootfs.appending("etc"), target: at("etc"), readOnly: true, flags: [.noSUID, .noDev, .noExec]))
        ops.append(.directory(at("var"), mode: 0o755))
        ops.append(.directory(at("var/runtime"), mode: 0o755))
        ops.append(.bind(source: rootfs.appending("var").appending("runtime"), target: at("var/runtime"), readOnly: true,
                         flags: [.noSUID, .noDev]))
        ops.append(.directory(at("var/task"), mode: 0o755))
        ops.append(.bind(source: bundle, target: at("var/task"), readOnly: true, flags: [.noSUID, .noDev]))
        ops.append(.directory(at("opt"), mode: 0o755))
        ops.append(.directory(at("proc"), mode: 0o555))
        ops.append(.filesystem(type: "proc", source: "proc", target: at("proc"), flags: [.noSUID, .noDev, .noExec], data: nil))
        ops.append(.directory(at("dev"), mode: 0o755))
        ops.append(.filesystem(type: "tmpfs", source: "fnbox-dev", target: at("dev"), flags: [.noSUID, .noExec],
                               data: "size=64k,mode=0755"))
        for device in Self.devices {
            ops.append(.file(at("dev/\(device)"), mode: 0o666))
            ops.append(.bind(source: FilePath("/dev/\(device)"), target: at("dev/\(device)"), readOnly: false,
                             flags: [.noSUID, .noExec]))
        }
        ops.append(.symlink(target: "/proc/self/fd", at: at("dev/fd")))
        ops.append(.symlink(target: "/proc/self/fd/0", at: at("dev/stdin")))
        ops.append(.symlink(target: "/proc/self/fd/1", at: at("dev/stdout")))
        ops.append(.symlink(target: "/proc/self/fd/2", at: at("dev/stderr")))
        ops.append(.directory(at("tmp"), mode: 0o1777))
        ops.append(.filesystem(type: "tmpfs", source: "fnbox-tmp", target: at("tmp"), flags: [.noSUID, .noDev],
                               data: "size=\(tmpSizeMB)m,mode=1777"))
        if !extraMounts.isEmpty {
            ops.append(.directory(at("mnt"), mode: 0o755))
            for mount in extraMounts {
                // Each missing directory on the way to the target, then the bind itself.
                var path = ""
                for component in mount.target.components {
                    path += "/" + component.string
                    ops.append(.directory(at(path), mode: 0o755))
                }
                ops.append(.bind(source: mount.source, target: at(mount.target.string), readOnly: mount.readOnly,
                                 flags: [.noSUID, .noDev]))
            }
        }
        return ops
    }
}
