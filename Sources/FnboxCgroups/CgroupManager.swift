import FnboxSystem
import Logging
import SystemPackage

/// Which hierarchy serves each controller on this host, and the factory for sandbox cgroups.
///
/// Per controller: v2 when the unified hierarchy has it (in our own cgroup's `cgroup.controllers`),
/// else the v1 hierarchy that lists it in `/proc/self/cgroup`. Sandboxes always nest below the
/// process's own cgroup in each hierarchy.
public struct CgroupManager: Sendable {
    /// The cgroup root, `/sys/fs/cgroup` on a real host.
    public let root: FilePath
    public let mode: CgroupMode
    /// One driver per hierarchy that serves a controller: the v2 one first, then v1 by controller.
    public let drivers: [any CgroupDriver]
    /// On a hybrid host, the controllers the unified hierarchy lacks (and v1 serves, if anything does).
    public let unifiedLacks: [CgroupController]

    /// Detects the host layout (statfs) and reads `/proc/self/cgroup`.
    /// - Parameters:
    ///   - root: the cgroup root.
    ///   - logger: gets the layout at debug level.
    /// - Throws: `CgroupError` naming what could not be detected or read.
    public static func detect(root: FilePath = "/sys/fs/cgroup", logger: Logger? = nil) throws(CgroupError) -> CgroupManager {
        let mode = try CgroupMode.detect(root: root)
        let text: String
        do throws(SystemCallError) {
            text = try FileIO.readText("/proc/self/cgroup")
        } catch {
            throw .detectionFailed(error)
        }
        let manager = try CgroupManager(root: root, mode: mode, procSelfCgroup: text)
        logger?.debug("cgroup layout", metadata: ["cgroup.layout": "\(manager.layoutDescription)"])
        return manager
    }

    /// Pure constructor: which hierarchy serves each controller is computed from the files under `root`.
    /// - Parameters:
    ///   - root: the cgroup root (a temporary directory in unit tests).
    ///   - mode: the layout, from `CgroupMode.detect`.
    ///   - procSelfCgroup: the text of `/proc/self/cgroup`.
    ///   - system: the syscalls to use; unit tests pass a fake.
    /// - Throws: `CgroupError.malformedProcSelfCgroup`, `.missingUnifiedEntry`, `.ownCgroupNotFound`
    ///   or `.readFailed`.
    public init(
        root: FilePath,
        mode: CgroupMode,
        procSelfCgroup: String,
        system: any CgroupSystem = HostCgroupSystem()
    ) throws(CgroupError) {
        let membership = try ProcSelfCgroup(parsing: procSelfCgroup)
        var drivers: [any CgroupDriver] = []
        var v2Controllers: [CgroupController] = []

        switch mode {
        case .unified:
            guard let path = membership.v2Path else { throw .missingUnifiedEntry }
            let v2 = try CgroupV2Driver(mountPoint: root, ownCgroupPath: path, system: system)
            v2Controllers = v2.controllers
            if !v2.controllers.isEmpty { drivers.append(v2) }
        case .hybrid:
            // The v1 hierarchies carry the controllers on a hybrid host; an unreadable unified
            // hierarchy (e.g. our cgroup is not visible under it) only means v2 serves nothing.
            let mount = root.appending("unified")
            if let path = membership.v2Path,
               let v2 = try? CgroupV2Driver(mountPoint: mount, ownCgroupPath: path, system: system),
               !v2.controllers.isEmpty
            {
                v2Controllers = v2.controllers
                drivers.append(v2)
            }
        case .legacy:
            break
        }

        if mode != .unified {
            var v1: [(mount: FilePath, path: String, controllers: [CgroupController])] = []
            for controller in CgroupController.allCases where !v2Controllers.contains(controller) {
                guard let entry = membership.v1Entry(for: controller),
                      let mount = CgroupV1Driver.locateMount(of: entry, controller: controller, root: root, system: system)
                else { continue }
                if let index = v1.firstIndex(where: { $0.mount == mount }) {
                    v1[index].controllers.append(controller)
                } else {
                    v1.append((mount, entry.path, [controller]))
                }
            }
            for hierarchy in v1 {
                drivers.append(try CgroupV1Driver(
                    mountPoint: hierarchy.mount, ownCgroupPath: hierarchy.path,
                    controllers: hierarchy.controllers, system: system
                ))
            }
        }

        self.root = root
        self.mode = mode
        self.drivers = drivers
        self.unifiedLacks = mode == .legacy ? [] : CgroupController.allCases.filter { !v2Controllers.contains($0) }
    }

    /// The driver serving `controller`, if any hierarchy does.
    public func driver(for controller: CgroupController) -> (any CgroupDriver)? {
        drivers.first { $0.controllers.contains(controller) }
    }

    /// Controllers no hierarchy serves here.
    public var unavailableControllers: [CgroupController] {
        CgroupController.allCases.filter { driver(for: $0) == nil }
    }

    /// One line for fnboxd's start-up log and `fnbox status`: per controller, the cgroup version
    /// and our own cgroup in that hierarchy, then the host layout. On this hybrid dev host:
    /// `cpu: v1 /sys/fs/cgroup/cpu, memory: v1 /sys/fs/cgroup/memory/process_api/3071…, pids: v1 /sys/fs/cgroup/pids (hybrid host; unified hierarchy lacks cpu, memory, pids)`;
    /// under systemd on a pure v2 host:
    /// `cpu: v2 /sys/fs/cgroup/system.slice/fnboxd.service, memory: v2 …, pids: v2 … (unified host; sandboxes start in their cgroup with CLONE_INTO_CGROUP)`.
    public var layoutDescription: String {
        let perController = CgroupController.allCases.map { controller in
            guard let driver = driver(for: controller) else { return "\(controller.rawValue): unavailable" }
            return "\(controller.rawValue): \(driver.version) \(driver.ownCgroup)"
        }
        var host = "\(mode) host"
        if mode != .legacy && !unifiedLacks.isEmpty {
            host += "; unified hierarchy lacks \(unifiedLacks.map(\.rawValue).joined(separator: ", "))"
        } else if drivers.count == 1 && drivers[0].version == .v2 {
            // What SandboxCgroup.unifiedDirectory gives the launcher: one v2 leaf for everything.
            host += "; sandboxes start in their cgroup with CLONE_INTO_CGROUP"
        }
        return perController.joined(separator: ", ") + " (\(host))"
    }

    /// Creates `<own cgroup>/fnbox/<name>` in every hierarchy that serves a controller, and applies the limits.
    ///
    /// A cgroup is made even for a controller without a limit, so that usage can be read. On
    /// failure, whatever was created is removed again.
    /// - Parameters:
    ///   - name: one path component, unique among live sandboxes.
    ///   - limits: `nil` fields stay unlimited.
    ///   - logger: told (at info) when controllers are enabled or this process is moved on v2.
    /// - Throws: `CgroupError.invalidName`, a limit validation error, `.controllerUnavailable`
    ///   when a limit needs a controller no hierarchy serves, `.alreadyExists`, or the error of
    ///   the `mkdir` or write that failed.
    public func createSandboxCgroup(name: String, limits: CgroupLimits, logger: Logger? = nil) throws(CgroupError) -> SandboxCgroup {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("\0") else {
            throw .invalidName(name)
        }
        try limits.validate()
        for controller in limits.controllers where driver(for: controller) == nil {
            throw .controllerUnavailable(controller)
        }
        var members: [SandboxCgroup.Member] = []
        do throws(CgroupError) {
            for driver in drivers {
                let directory = try driver.createCgroup(named: name, logger: logger)
                members.append(SandboxCgroup.Member(driver: driver, directory: directory))
                try driver.applyLimits(limits, in: directory)
            }
        } catch {
            for member in members.reversed() {
                try? member.driver.removeCgroup(member.directory)
            }
            throw error
        }
        logger?.debug(
            "created sandbox cgroup",
            metadata: ["cgroup.name": "\(name)", "cgroup.path": "\(members.map { $0.directory.string })"]
        )
        return SandboxCgroup(name: name, members: members)
    }
}
