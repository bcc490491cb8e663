/// `GET /fnbox/status`: fnboxd's own endpoint, not Lambda's. What the warm pool holds now and
/// how this host's cgroups are laid out; `fnbox status` prints it. Keys are spelled like
/// Lambda's (PascalCase) so that one client reads both.
public struct DaemonStatus: Codable, Sendable, Equatable {
    /// One function's live instances.
    public struct FunctionInstances: Codable, Sendable, Equatable {
        public var FunctionName: String
        public var Idle: Int
        public var Busy: Int
        /// The configured memory of these instances, in MB.
        public var MemoryMB: Int

        public init(FunctionName: String, Idle: Int, Busy: Int, MemoryMB: Int) {
            self.FunctionName = FunctionName
            self.Idle = Idle
            self.Busy = Busy
            self.MemoryMB = MemoryMB
        }
    }

    /// Live instances, idle plus busy.
    public var Instances: Int
    public var Idle: Int
    public var Busy: Int
    /// Calls waiting for capacity.
    public var Queued: Int
    /// The configured memory of every live instance, in MB (what the budget caps).
    public var MemoryInUseMB: Int
    public var MemoryBudgetMB: Int
    public var MaxInstances: Int
    /// `CgroupManager.layoutDescription`: which hierarchy serves each controller.
    public var CgroupLayout: String
    /// Functions with live instances, by name.
    public var Functions: [FunctionInstances]

    public init(
        Idle: Int, Busy: Int, Queued: Int, MemoryInUseMB: Int, MemoryBudgetMB: Int, MaxInstances: Int,
        CgroupLayout: String, Functions: [FunctionInstances]
    ) {
        self.Instances = Idle + Busy
        self.Idle = Idle
        self.Busy = Busy
        self.Queued = Queued
        self.MemoryInUseMB = MemoryInUseMB
        self.MemoryBudgetMB = MemoryBudgetMB
        self.MaxInstances = MaxInstances
        self.CgroupLayout = CgroupLayout
        self.Functions = Functions
    }
}
