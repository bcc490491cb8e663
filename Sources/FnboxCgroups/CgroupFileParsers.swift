/// Parsers for the cgroup file formats fnbox reads (the kernel's `cgroup-v2.rst`, "Interface
/// Files"). They return nil on anything unexpected; callers turn that into
/// `CgroupError.malformedFile` with the path.
enum CgroupFileParsers {
    /// A file holding one unsigned integer, e.g. `memory.peak` or v1 `memory.max_usage_in_bytes`.
    static func unsignedValue(_ text: String) -> UInt64? {
        UInt64(text.trimmingWhitespace())
    }

    /// A file holding one integer, e.g. `pids.current`.
    static func integerValue(_ text: String) -> Int? {
        Int(text.trimmingWhitespace())
    }

    /// A flat-keyed file of `key value` lines (`memory.events`, `cpu.stat`, v1 `memory.oom_control`).
    /// Returns nil if a line has no integer value.
    static func flatKeyed(_ text: String) -> [String: Int]? {
        var result: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2, let value = Int(fields[1]) else { return nil }
            result[String(fields[0])] = value
        }
        return result
    }

    /// `cgroup.procs`: one pid a line.
    static func processIDs(_ text: String) -> [Int32]? {
        var result: [Int32] = []
        for line in text.split(separator: "\n") {
            guard let pid = Int32(line.trimmingWhitespace()), pid > 0 else { return nil }
            result.append(pid)
        }
        return result
    }

    /// `cgroup.controllers` and `cgroup.subtree_control`: space-separated names.
    static func controllerNames(_ text: String) -> Set<String> {
        Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }

    /// CPU throttling counters from `cpu.stat`: v2 reports `throttled_usec`, v1 `throttled_time` in ns.
    static func cpuThrottling(_ text: String, version: CgroupVersion)
        -> (periods: Int, throttledPeriods: Int, throttledMicros: Int)?
    {
        guard let stat = flatKeyed(text),
              let periods = stat["nr_periods"],
              let throttled = stat["nr_throttled"]
        else { return nil }
        let micros: Int
        switch version {
        case .v2:
            guard let usec = stat["throttled_usec"] else { return nil }
            micros = usec
        case .v1:
            guard let nanos = stat["throttled_time"] else { return nil }
            micros = nanos / 1_000
        }
        return (periods, throttled, micros)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
