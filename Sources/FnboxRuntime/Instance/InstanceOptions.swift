import FnboxCgroups
import SystemPackage

/// Host-side settings shared by every instance: where the root skeleton is, who runs inside,
/// and the Lambda identity the function sees.
public struct InstanceOptions: Sendable {
    /// The repo's `rootfs/` (etc, var/runtime).
    public var rootfs: FilePath
    /// An empty host directory each sandbox mounts its root tmpfs on (in its own mount namespace).
    public var newRoot: FilePath
    public var uid: UInt32
    public var gid: UInt32
    /// CPUs after init; nil means Lambda's rule, memory / 1769 MB.
    public var cpus: Double?
    public var tmpSizeMB: Int
    public var pidsMax: Int
    public var region: String
    public var accountID: String
    /// Lambda limits the init phase (interpreter start and the handler module's import) to 10 s.
    public var initTimeout: Duration
    /// Per-controller cgroups; nil only where a caller explicitly runs without limits.
    public var cgroups: CgroupManager?
    /// The system interpreter (a `python3` earlier on PATH may be a slow shim).
    public var pythonPath: String

    public init(
        rootfs: FilePath, newRoot: FilePath = "/run/fnbox/root", uid: UInt32 = 993, gid: UInt32 = 990,
        cpus: Double? = nil, tmpSizeMB: Int = 512, pidsMax: Int = 1024, region: String = "us-east-1",
        accountID: String = "000000000000", initTimeout: Duration = .seconds(10), cgroups: CgroupManager?,
        pythonPath: String = "/usr/bin/python3"
    ) {
        self.rootfs = rootfs
        self.newRoot = newRoot
        self.uid = uid
        self.gid = gid
        self.cpus = cpus
        self.tmpSizeMB = tmpSizeMB
        self.pidsMax = pidsMax
        self.region = region
        self.accountID = accountID
        self.initTimeout = initTimeout
        self.cgroups = cgroups
        self.pythonPath = pythonPath
    }

    /// The CPU quota for a function of `memoryMB`: Lambda gives one vCPU per 1,769 MB.
    public func cpuQuota(memoryMB: Int) -> CPUQuota {
        CPUQuota(cpus: cpus ?? Double(memoryMB) / 1769.0)
    }

    /// `arn:aws:lambda:<region>:<account>:function:<name>`
    public func functionARN(_ name: String) -> String {
        "arn:aws:lambda:\(region):\(accountID):function:\(name)"
    }
}
