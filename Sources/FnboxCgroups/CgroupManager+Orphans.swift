import FnboxSystem
import Foundation
import Logging
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

extension CgroupManager {
    /// The name a sandbox cgroup gets: the creating process's pid first, so that a later sweep can
    /// tell a cgroup whose owner died (a SIGKILLed fnboxd cannot clean up) from one in use.
    public static func sandboxName(owner: pid_t = getpid(), label: String) -> String {
        "\(owner)-\(label)"
    }

    /// Removes sandbox cgroups whose owning process is gone: a daemon killed with SIGKILL leaves
    /// its sandboxes' cgroups behind (the sandboxes themselves die with it, by PR_SET_PDEATHSIG).
    /// Only names that begin with a pid no longer alive are touched, so concurrent users of the
    /// shared `fnbox` parent are left alone.
    /// - Returns: the directories removed.
    @discardableResult
    public func removeOrphanedSandboxCgroups(logger: Logger? = nil) -> [FilePath] {
        var removed: [FilePath] = []
        for driver in drivers {
            let parent = driver.ownCgroup.appending(CgroupLayout.parentName)
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent.string) else { continue }
            for entry in entries {
                let directory = parent.appending(entry)
                guard FileIO.isDirectory(directory), let owner = Self.ownerPID(ofSandboxNamed: entry),
                      !Self.isAlive(owner)
                else { continue }
                do {
                    try driver.killAll(in: directory)
                    try driver.removeCgroup(directory)
                    removed.append(directory)
                } catch {
                    logger?.warning("could not remove an orphaned sandbox cgroup",
                                    metadata: ["cgroup.path": "\(directory)", "error": "\(error)"])
                }
            }
        }
        if !removed.isEmpty {
            logger?.info("removed orphaned sandbox cgroups", metadata: ["count": "\(removed.count)"])
        }
        return removed
    }

    /// The pid a sandbox cgroup's name starts with (`<pid>-<label>`), if it has one.
    static func ownerPID(ofSandboxNamed name: String) -> pid_t? {
        guard let dash = name.firstIndex(of: "-"), let pid = pid_t(name[..<dash]), pid > 0 else { return nil }
        return pid
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
