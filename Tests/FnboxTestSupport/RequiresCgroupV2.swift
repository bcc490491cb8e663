import FnboxCgroups
import Testing

/// This host's cgroups, detected once for every trait.
private let hostManager: CgroupManager? = try? CgroupManager.detect()

/// Why cgroup v2 does not serve all of `controllers` for this process, or nil when it does.
private func whyNotV2(_ controllers: [CgroupController]) -> String? {
    guard let manager = hostManager else { return "no cgroup hierarchy could be detected" }
    let missing = controllers.filter { manager.driver(for: $0)?.version != .v2 }
    guard !missing.isEmpty else { return nil }
    let names = missing.map(\.rawValue).joined(separator: ", ")
    return "no \(names) controller\(missing.count == 1 ? "" : "s") in the unified hierarchy (\(manager.mode) host); "
        + "scripts/test-cgroup2 runs this in a pure cgroup v2 guest"
}

extension Trait where Self == ConditionTrait {
    /// Skips, naming the reason, unless cgroup v2 serves each of `controllers` here. The dev and
    /// CI hosts are hybrid with cpu, memory and pids on v1, so tests with this trait run in the
    /// qemu guest of `scripts/cgroup2-vm`; each one's v1 twin runs on the host (STYLE.md §5).
    public static func requiresCgroupV2(controllers: [CgroupController] = CgroupController.allCases) -> Self {
        let reason = whyNotV2(controllers)
        return .enabled(if: reason == nil, Comment(rawValue: reason ?? "cgroup v2 serves \(controllers)"))
    }
}
