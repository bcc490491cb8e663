import SystemPackage

/// A failed system call: what was attempted, on what, and the errno it returned.
///
/// Every syscall wrapper in fnbox throws this, so a message always names the operation and the
/// path, e.g. `write '/sys/fs/cgroup/memory/fnbox/f1/memory.limit_in_bytes' failed: Device or resource busy`.
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed: "open", "mount", "write", ...
    public let operation: String
    /// What it was done to, when there is a path.
    public let path: FilePath?
    /// The errno the call returned.
    public let errno: Errno

    public init(_ operation: String, path: FilePath? = nil, errno: Errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "\(operation) \(path.map { "'\($0)' " } ?? "")failed: \(errno)"
    }
}
