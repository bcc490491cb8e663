import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Connecting to a Unix stream socket by path: the daemon's liveness check, its client, and the
/// tests all need the same `sockaddr_un` dance.
public enum UnixSocket {
    /// Opens a close-on-exec stream socket connected to `path`.
    /// - Throws: `SystemCallError` naming "connect" (or "socket") and the path; ENAMETOOLONG when
    ///   the path does not fit `sun_path`.
    public static func connect(to path: String) throws(SystemCallError) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SystemCallError("connect", path: FilePath(path), errno: .fileNameTooLong)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket", path: FilePath(path), errno: Errno(rawValue: errno)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let err = Errno(rawValue: errno)
            close(fd)
            throw SystemCallError("connect", path: FilePath(path), errno: err)
        }
        return fd
    }

    /// Whether something accepts connections on `path`.
    public static func accepts(_ path: String) -> Bool {
        guard let fd = try? connect(to: path) else { return false }
        close(fd)
        return true
    }
}
