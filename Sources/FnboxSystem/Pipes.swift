import CFnboxShims
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Close-on-exec pipes and socket pairs, created atomically (no window in which a concurrent
/// spawn could inherit them).
public enum Pipes {
    /// A close-on-exec pipe: (read end, write end).
    public static func makePipe() throws(SystemCallError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        let rc = fnbox_pipe_cloexec(&fds)
        guard rc == 0 else { throw SystemCallError("pipe2", errno: Errno(rawValue: -rc)) }
        return (fds[0], fds[1])
    }

    /// A close-on-exec stream socket pair.
    public static func makeSocketPair() throws(SystemCallError) -> (Int32, Int32) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw SystemCallError("socketpair", errno: Errno(rawValue: errno))
        }
        return (fds[0], fds[1])
    }
}
