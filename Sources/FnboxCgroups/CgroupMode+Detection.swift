import FnboxSystem
import SystemPackage

extension CgroupMode {
    /// Detects the host's layout with crun's decision (`detect_cgroup_mode` in `cgroup-utils.c`):
    /// `root` on cgroup2 is unified; `root` on tmpfs is hybrid if `root/unified` is cgroup2, else
    /// legacy; anything else is an error.
    ///
    /// Known shortcut: crun asks `statfs` for the filesystem magic (`CGROUP2_SUPER_MAGIC`,
    /// `TMPFS_MAGIC`), but Swift's Glibc module does not import `<sys/statfs.h>` and this module
    /// may not import CFnboxShims. So we read the type of the mount that holds each path from
    /// `/proc/self/mountinfo`, which is the same answer for a mount point. A `statfs` wrapper in
    /// FnboxSystem would let this go back to crun's exact call.
    /// - Parameter root: the cgroup root, `/sys/fs/cgroup` on every host we know.
    /// - Throws: `CgroupError.detectionFailed` if `/proc/self/mountinfo` can't be read,
    ///   `.unsupportedFilesystem` if `root` is neither cgroup2 nor tmpfs.
    public static func detect(root: FilePath = "/sys/fs/cgroup") throws(CgroupError) -> CgroupMode {
        let mountInfo: String
        do throws(SystemCallError) {
            mountInfo = try FileIO.readText("/proc/self/mountinfo", limit: 16 << 20)
        } catch {
            throw .detectionFailed(error)
        }
        let unified = root.appending("unified")
        return try detect(root: root, mountInfo: mountInfo, unifiedExists: FileIO.isDirectory(unified))
    }

    /// The decision of `detect`, given the text of `/proc/self/mountinfo`.
    /// - Parameters:
    ///   - root: the cgroup root.
    ///   - mountInfo: the text of `/proc/self/mountinfo`.
    ///   - unifiedExists: whether `root/unified` exists (crun's `statfs` failing with ENOENT).
    /// - Throws: `CgroupError.unsupportedFilesystem` if `root` is neither cgroup2 nor tmpfs.
    public static func detect(root: FilePath, mountInfo: String, unifiedExists: Bool) throws(CgroupError) -> CgroupMode {
        let rootType = filesystemType(of: root, mountInfo: mountInfo)
        if rootType == "cgroup2" { return .unified }
        guard rootType == "tmpfs" else {
            throw .unsupportedFilesystem(path: root, type: rootType ?? "unknown")
        }
        guard unifiedExists else { return .legacy }
        let unifiedType = filesystemType(of: root.appending("unified"), mountInfo: mountInfo)
        return unifiedType == "cgroup2" ? .hybrid : .legacy
    }

    /// The filesystem type of the mount that holds `path`: the entry with the longest mount point
    /// that is `path` or one of its ancestors, and of those the last (it is mounted on top).
    static func filesystemType(of path: FilePath, mountInfo: String) -> String? {
        var bestDepth = -1
        var bestType: String?
        for line in mountInfo.split(separator: "\n") {
            // id parent major:minor root mount-point options [optional...] - type source super-options
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 7,
                  let separator = fields[6...].firstIndex(of: "-"), separator + 1 < fields.count
            else { continue }
            let mountPoint = FilePath(unescapeMountInfo(fields[4]))
            guard path.starts(with: mountPoint) else { continue }
            let depth = mountPoint.components.count
            if depth >= bestDepth {
                bestDepth = depth
                bestType = String(fields[separator + 1])
            }
        }
        return bestType
    }

    /// mountinfo writes space, tab, newline and backslash in paths as octal escapes (`\040`).
    private static func unescapeMountInfo(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
