import ArgumentParser
import FnboxClient

/// `fnbox status`: the daemon's `GET /fnbox/status`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show fnboxd's warm pool: instances idle and busy, memory, queue, and the cgroup layout.",
        discussion: """
            Memory is the configured memory of the live instances, which --memory-budget caps. The \
            cgroups line says which hierarchy (v1 or v2) serves each controller on this host.

              fnbox status
              fnbox status --json
            """
    )

    @OptionGroup var client: ClientOptions

    func run() throws {
        let status = try client.call { fnboxd throws(FnboxClientError) in try fnboxd.status() }
        if client.json { return client.printJSON(status.json) }
        let s = status.value
        print(TextTable(header: ["instances", "\(s.Instances) (\(s.Idle) idle, \(s.Busy) busy), at most \(s.MaxInstances)"], rows: [
            ["queued", "\(s.Queued)"],
            ["memory", "\(s.MemoryInUseMB) MB in use of \(s.MemoryBudgetMB) MB budget"],
            ["cgroups", s.CgroupLayout],
        ]).rendered, terminator: "")
        guard !s.Functions.isEmpty else { return }
        print()
        print(TextTable(
            header: ["FUNCTION", "IDLE", "BUSY", "MEMORY"],
            rows: s.Functions.map { [$0.FunctionName, "\($0.Idle)", "\($0.Busy)", "\($0.MemoryMB) MB"] }
        ).rendered, terminator: "")
    }
}
