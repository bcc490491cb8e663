import CFnboxShims
import SystemPackage

/// A sandbox that could not be started: which setup stage failed, with what errno, and on what.
public struct SpawnError: Error, Sendable, CustomStringConvertible {
    /// The stage's name as the C side knows it: "clone3", "mount", "pivot_root", "seccomp", "execve", ...
    public let stage: String
    public let errno: Errno
    /// For "mount": the path the failing table entry works on; for "execve": the program.
    public let subject: String?

    public init(stage: String, errno: Errno, subject: String? = nil) {
        self.stage = stage
        self.errno = errno
        self.subject = subject
    }

    init(record: fnbox_child_error, spec: SandboxSpec) {
        self.stage = String(cString: fnbox_stage_name(record.stage))
        self.errno = Errno(rawValue: record.err)
        switch Int(record.stage) {
        case Int(FNBOX_STAGE_MOUNT) where record.index >= 0 && Int(record.index) < spec.mounts.count:
            let op = spec.mounts[Int(record.index)]
            self.subject = op.path.string
        case Int(FNBOX_STAGE_EXECVE):
            self.subject = spec.executable
        case Int(FNBOX_STAGE_RLIMITS) where record.index >= 0 && Int(record.index) < spec.rlimits.count:
            self.subject = "resource \(spec.rlimits[Int(record.index)].resource)"
        case Int(FNBOX_STAGE_FDS) where record.index >= 0:
            self.subject = "fd \(record.index)"
        case Int(FNBOX_STAGE_CGROUP) where record.index >= 0:
            self.subject = "cgroup.procs #\(record.index)"
        default:
            self.subject = nil
        }
    }

    public var description: String {
        "sandbox setup failed at \(stage)\(subject.map { " '\($0)'" } ?? ""): \(errno)"
    }
}
