/// The parsed text of `/proc/self/cgroup` (or `/proc/<pid>/cgroup`): which cgroup a process is
/// in, per hierarchy.
///
/// Each line is `hierarchy-ID:controller-list:cgroup-path` (cgroups(7)). A v1 line lists its
/// controllers (`4:memory:/process_api/3071…`, `3:cpu,cpuacct:/user.slice`); the v2 line is
/// `0::/path`. Named v1 hierarchies (`name=systemd`) list no controller fnbox uses.
public struct ProcSelfCgroup: Sendable, Equatable {
    /// One v1 hierarchy and our cgroup in it.
    public struct V1Entry: Sendable, Equatable {
        public var hierarchyID: Int
        /// The comma-separated list as written, e.g. `["cpu", "cpuacct"]`.
        public var controllers: [String]
        /// Absolute within the hierarchy, e.g. `/process_api/3071…`.
        public var path: String

        public init(hierarchyID: Int, controllers: [String], path: String) {
            self.hierarchyID = hierarchyID
            self.controllers = controllers
            self.path = path
        }
    }

    public var v1: [V1Entry]
    /// The path of the `0::` line, if any.
    public var v2Path: String?

    public init(v1: [V1Entry], v2Path: String?) {
        self.v1 = v1
        self.v2Path = v2Path
    }

    /// Parses the text of `/proc/self/cgroup`.
    /// - Throws: `CgroupError.malformedProcSelfCgroup` naming the first line that isn't `ID:list:/path`.
    public init(parsing text: String) throws(CgroupError) {
        var v1: [V1Entry] = []
        var v2Path: String?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(rawLine)
            // The path may itself contain ':', so split at the first two only.
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let id = Int(fields[0]), id >= 0, fields[2].hasPrefix("/") else {
                throw .malformedProcSelfCgroup(line: line)
            }
            let path = String(fields[2])
            if id == 0 && fields[1].isEmpty {
                v2Path = path
            } else {
                let controllers = fields[1].split(separator: ",").map(String.init)
                guard !controllers.isEmpty else { throw .malformedProcSelfCgroup(line: line) }
                v1.append(V1Entry(hierarchyID: id, controllers: controllers, path: path))
            }
        }
        self.init(v1: v1, v2Path: v2Path)
    }

    /// The v1 hierarchy that lists `controller`, if one does.
    public func v1Entry(for controller: CgroupController) -> V1Entry? {
        v1.first { $0.controllers.contains(controller.rawValue) }
    }
}
