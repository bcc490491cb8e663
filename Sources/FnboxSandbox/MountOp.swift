import SystemPackage

/// One step of building a sandbox's root, run in order by the child (see `CShims/spawn.c`).
/// Targets are host paths under the new root: the child builds the tree before `pivot_root`.
public enum MountOp: Sendable, Equatable {
    /// `mount(source, target, fstype, flags, data)`: tmpfs, proc.
    case filesystem(type: String, source: String, target: FilePath, flags: MountFlags, data: String?)
    /// A recursive bind mount, then a remount that applies `flags` (and read-only when asked).
    case bind(source: FilePath, target: FilePath, readOnly: Bool, flags: MountFlags)
    /// A directory (an existing one is fine).
    case directory(FilePath, mode: UInt32)
    /// An empty regular file, the target for a bind-mounted device node.
    case file(FilePath, mode: UInt32)
    /// A symbolic link at `at` pointing to `target`.
    case symlink(target: String, at: FilePath)

    /// The path the step creates or mounts on, for error messages.
    public var path: FilePath {
        switch self {
        case .filesystem(_, _, let target, _, _), .bind(_, let target, _, _): return target
        case .directory(let p, _), .file(let p, _): return p
        case .symlink(_, let at): return at
        }
    }
}

/// The `MS_*` flags fnbox uses.
public struct MountFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let readOnly = MountFlags(rawValue: 1)      // MS_RDONLY
    public static let noSUID = MountFlags(rawValue: 2)        // MS_NOSUID
    public static let noDev = MountFlags(rawValue: 4)         // MS_NODEV
    public static let noExec = MountFlags(rawValue: 8)        // MS_NOEXEC
    public static let noATime = MountFlags(rawValue: 1024)    // MS_NOATIME
}
