/// A resource controller fnbox limits per sandbox.
public enum CgroupController: String, Sendable, CaseIterable, Comparable {
    case cpu, memory, pids

    public static func < (lhs: CgroupController, rhs: CgroupController) -> Bool {
        lhs.order < rhs.order
    }

    private var order: Int {
        switch self {
        case .cpu: 0
        case .memory: 1
        case .pids: 2
        }
    }
}

/// How the host mounts its cgroup hierarchies, in crun's terms (`CGROUP_MODE_*` in `cgroup.h`).
public enum CgroupMode: String, Sendable, Equatable, CustomStringConvertible {
    /// `/sys/fs/cgroup` is itself a cgroup2 mount: every controller is v2 or unavailable.
    case unified
    /// `/sys/fs/cgroup` is a tmpfs of v1 mounts plus a cgroup2 mount at `unified/`.
    case hybrid
    /// `/sys/fs/cgroup` is a tmpfs of v1 mounts only.
    case legacy

    public var description: String { rawValue }
}

/// The cgroup version of one hierarchy.
public enum CgroupVersion: Int, Sendable, Equatable, CustomStringConvertible {
    case v1 = 1
    case v2 = 2

    public var description: String { "v\(rawValue)" }
}
