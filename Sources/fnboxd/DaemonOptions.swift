import FnboxCgroups
import FnboxRuntime
import Foundation

/// The sandbox options fnboxd runs instances with: the repo's rootfs and this host's cgroups.
enum DaemonOptions {
    static func instanceOptions() throws -> InstanceOptions {
        let rootfs = try RootfsLocator.locate()
        let cgroups = try CgroupManager.detect()
        return InstanceOptions(rootfs: rootfs, cgroups: cgroups)
    }
}
