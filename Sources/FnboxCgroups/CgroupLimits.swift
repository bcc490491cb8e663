/// A CFS bandwidth limit: `quotaMicros` of CPU time per `periodMicros` of wall time.
public struct CPUQuota: Sendable, Equatable, CustomStringConvertible {
    /// The period the kernel defaults to, and the one `init(cpus:)` uses.
    public static let defaultPeriodMicros = 100_000
    /// The smallest quota the kernel accepts (1 ms).
    public static let minimumQuotaMicros = 1_000
    /// The period range the kernel accepts (1 ms to 1 s).
    public static let periodRange = 1_000...1_000_000

    public var quotaMicros: Int
    public var periodMicros: Int

    public init(quotaMicros: Int, periodMicros: Int = CPUQuota.defaultPeriodMicros) {
        self.quotaMicros = quotaMicros
        self.periodMicros = periodMicros
    }

    /// A quota worth `cpus` whole CPUs: period 100 ms, quota `cpus * period`, at least 1 ms.
    ///
    /// Bad input never traps: a NaN or non-positive `cpus` gives the minimum quota, and a huge
    /// one is capped at `Int32.max` microseconds per period.
    public init(cpus: Double, periodMicros: Int = CPUQuota.defaultPeriodMicros) {
        let raw = (cpus * Double(periodMicros)).rounded()
        let quota: Int
        if raw.isNaN || raw < Double(CPUQuota.minimumQuotaMicros) {
            quota = CPUQuota.minimumQuotaMicros
        } else if raw > Double(Int32.max) {
            quota = Int(Int32.max)
        } else {
            quota = Int(raw)
        }
        self.init(quotaMicros: quota, periodMicros: periodMicros)
    }

    /// How many CPUs the quota is worth.
    public var cpus: Double { Double(quotaMicros) / Double(periodMicros) }

    /// Whether the kernel would accept it (quota at least 1 ms, period between 1 ms and 1 s).
    public var isValid: Bool {
        quotaMicros >= CPUQuota.minimumQuotaMicros && CPUQuota.periodRange.contains(periodMicros)
    }

    public var description: String { "\(quotaMicros)/\(periodMicros)µs" }
}

/// The limits of one sandbox. `nil` leaves a resource unlimited.
public struct CgroupLimits: Sendable, Equatable {
    /// Memory limit in bytes; swap is disabled alongside it where the host allows.
    public var memoryBytes: UInt64?
    /// CPU bandwidth limit.
    public var cpu: CPUQuota?
    /// Maximum number of tasks (processes and threads).
    public var pidsMax: Int?

    public init(memoryBytes: UInt64? = nil, cpu: CPUQuota? = nil, pidsMax: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.cpu = cpu
        self.pidsMax = pidsMax
    }

    /// The controllers these limits need.
    public var controllers: [CgroupController] {
        var result: [CgroupController] = []
        if cpu != nil { result.append(.cpu) }
        if memoryBytes != nil { result.append(.memory) }
        if pidsMax != nil { result.append(.pids) }
        return result
    }

    /// Checks the values before anything is written, so a bad limit never leaves a half-made cgroup.
    /// - Throws: `CgroupError.invalidMemoryLimit`, `.invalidCPUQuota` or `.invalidPidsMax`.
    public func validate() throws(CgroupError) {
        if let memoryBytes, memoryBytes == 0 || memoryBytes > UInt64(Int64.max) {
            throw .invalidMemoryLimit(memoryBytes)
        }
        if let cpu, !cpu.isValid { throw .invalidCPUQuota(cpu) }
        if let pidsMax, pidsMax < 1 { throw .invalidPidsMax(pidsMax) }
    }
}
