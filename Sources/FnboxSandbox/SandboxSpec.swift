import SystemPackage

/// Everything the child needs from `clone3` to `execve`, prepared by the parent.
public struct SandboxSpec: Sendable {
    /// The program to exec, as a path inside the sandbox.
    public var executable: String
    /// argv, including argv[0].
    public var arguments: [String]
    /// The whole environment: nothing of the host's is inherited.
    public var environment: [String]
    /// An empty host directory on which the child mounts a tmpfs and builds the new root.
    public var newRoot: FilePath
    /// The root's layout, applied in order; the first entry mounts the root itself on `newRoot`.
    public var mounts: [MountOp]
    /// Working directory inside the sandbox.
    public var workingDirectory: String
    public var hostname: String
    public var uid: UInt32
    public var gid: UInt32
    public var rlimits: [ResourceLimit]
    /// `fds[i]` becomes file descriptor `i` in the child: 0, 1, 2 and any extra (the runtime socket).
    public var fds: [Int32]
    /// Open `cgroup.procs` files the parent writes the pid into before the child starts its setup.
    public var cgroupProcsFDs: [Int32]
    /// A v2 cgroup directory fd to clone straight into (`CLONE_INTO_CGROUP`), or nil.
    public var cgroupDirectoryFD: Int32?
    public var namespaces: Namespaces
    /// Whether the seccomp policy is loaded (always, but for the baseline benchmarks).
    public var seccomp: Bool

    public init(
        executable: String, arguments: [String], environment: [String], newRoot: FilePath,
        mounts: [MountOp], workingDirectory: String = "/", hostname: String = "fnbox",
        uid: UInt32 = 993, gid: UInt32 = 990, rlimits: [ResourceLimit] = ResourceLimit.lambdaDefaults,
        fds: [Int32], cgroupProcsFDs: [Int32] = [], cgroupDirectoryFD: Int32? = nil,
        namespaces: Namespaces = .all, seccomp: Bool = true
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.newRoot = newRoot
        self.mounts = mounts
        self.workingDirectory = workingDirectory
        self.hostname = hostname
        self.uid = uid
        self.gid = gid
        self.rlimits = rlimits
        self.fds = fds
        self.cgroupProcsFDs = cgroupProcsFDs
        self.cgroupDirectoryFD = cgroupDirectoryFD
        self.namespaces = namespaces
        self.seccomp = seccomp
    }
}

/// The namespaces a sandbox gets.
public struct Namespaces: OptionSet, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static let mount = Namespaces(rawValue: 0x0002_0000)    // CLONE_NEWNS
    public static let uts = Namespaces(rawValue: 0x0400_0000)      // CLONE_NEWUTS
    public static let ipc = Namespaces(rawValue: 0x0800_0000)      // CLONE_NEWIPC
    public static let pid = Namespaces(rawValue: 0x2000_0000)      // CLONE_NEWPID
    public static let network = Namespaces(rawValue: 0x4000_0000)  // CLONE_NEWNET
    public static let cgroup = Namespaces(rawValue: 0x0200_0000)   // CLONE_NEWCGROUP (unshared by the child)
    public static let all: Namespaces = [.mount, .uts, .ipc, .pid, .network, .cgroup]
}

/// One `setrlimit` the child applies before dropping privileges.
public struct ResourceLimit: Sendable, Equatable {
    public var resource: Int32
    public var soft: UInt64
    public var hard: UInt64
    public init(resource: Int32, soft: UInt64, hard: UInt64) {
        self.resource = resource
        self.soft = soft
        self.hard = hard
    }
    public static let openFiles = Int32(7)   // RLIMIT_NOFILE
    public static let coreSize = Int32(4)    // RLIMIT_CORE
    /// Lambda's: 1024 open files; no core dumps (they would land in a read-only root anyway).
    public static let lambdaDefaults: [ResourceLimit] = [
        ResourceLimit(resource: openFiles, soft: 1024, hard: 1024),
        ResourceLimit(resource: coreSize, soft: 0, hard: 0),
    ]
}
