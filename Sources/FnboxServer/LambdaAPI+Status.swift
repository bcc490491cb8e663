import FnboxAPI

extension LambdaAPI {
    /// `GET /fnbox/status`: the pool's instances and memory, its limits, and the cgroup layout.
    func status() async -> HTTPResponse {
        let stats = await pool.stats
        let usage = await pool.usageByFunction
        let limits = await pool.poolLimits
        let functions = usage.sorted { $0.key < $1.key }.map { name, entry in
            DaemonStatus.FunctionInstances(FunctionName: name, Idle: entry.idle, Busy: entry.busy, MemoryMB: entry.memoryMB)
        }
        return .json(DaemonStatus(
            Idle: stats.idle, Busy: stats.busy, Queued: stats.queued, MemoryInUseMB: await pool.memoryInUseMB,
            MemoryBudgetMB: limits.memoryBudgetMB, MaxInstances: limits.maxInstances,
            CgroupLayout: options.cgroups?.layoutDescription ?? "no cgroups (instances run without limits)",
            Functions: functions))
    }
}
