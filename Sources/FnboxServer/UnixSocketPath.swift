import FnboxSystem
import Foundation

/// Guards a Unix socket path: a live daemon's socket is never taken over, a stale one is removed.
enum UnixSocketPath {
    enum Problem: Error, CustomStringConvertible {
        case inUse(String)
        case notASocket(String)
        case tooLong(String)

        var description: String {
            switch self {
            case .inUse(let path): "'\(path)' is the socket of a running daemon; stop it first or pick another --socket"
            case .notASocket(let path): "'\(path)' exists and is not a socket; refusing to replace it"
            case .tooLong(let path): "socket path '\(path)' is longer than 107 bytes"
            }
        }
    }

    /// Removes a stale socket at `path`; throws if something answers there or it isn't a socket.
    static func prepare(_ path: String) throws {
        guard path.utf8.count < 108 else { throw Problem.tooLong(path) }
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else { throw Problem.notASocket(path) }
        if isLive(path) { throw Problem.inUse(path) }
        unlink(path)
    }

    /// Whether connecting to `path` succeeds.
    static func isLive(_ path: String) -> Bool { UnixSocket.accepts(path) }
}
