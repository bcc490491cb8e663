import FnboxSystem
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Blocking helpers for an instance's file descriptors. An invocation runs on its own thread and
/// multiplexes the runtime socket, the log pipe and the pidfd with poll(2).
enum PollLoop {
    /// What became ready.
    struct Readiness {
        var readable: Set<Int32> = []
        var writable: Set<Int32> = []
        var timedOut = false
    }

    /// Polls `read` fds for input (and hang-up) and `write` fds for space, up to `deadline`.
    static func wait(read: [Int32], write: [Int32] = [], until deadline: ContinuousClock.Instant?) -> Readiness {
        var fds: [pollfd] = read.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        fds += write.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let remaining = deadline - ContinuousClock.now
                if remaining <= .zero { return Readiness(timedOut: true) }
                let (seconds, attoseconds) = remaining.components
                let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                timeout = Int32(clamping: ms)
            }
            let rc = poll(&fds, nfds_t(fds.count), timeout)
            if rc < 0 {
                if errno == EINTR { continue }
                return Readiness(timedOut: true)
            }
            if rc == 0 {
                if let deadline, ContinuousClock.now >= deadline { return Readiness(timedOut: true) }
                continue
            }
            var readiness = Readiness()
            for (i, p) in fds.enumerated() {
                guard p.revents != 0 else { continue }
                if i < read.count {
                    readiness.readable.insert(p.fd)
                } else {
                    readiness.writable.insert(p.fd)
                }
            }
            return readiness
        }
    }

    /// Reads what is available from a non-blocking fd. Returns nil at EOF (or a hard error).
    static func readAvailable(_ fd: Int32, into out: inout [UInt8], maximum: Int = 1 << 16) -> Bool {
        var chunk = [UInt8](repeating: 0, count: maximum)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                out.append(contentsOf: chunk[0..<n])
                if n < maximum { return true }
                continue
            }
            if n == 0 { return false }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return true }
            return false
        }
    }

    /// Writes as much of `bytes[offset...]` as the non-blocking fd takes; returns the new offset,
    /// or nil when the reader is gone (EPIPE).
    static func writeAvailable(_ fd: Int32, _ bytes: [UInt8], from offset: Int) -> Int? {
        var offset = offset
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n > 0 {
                offset += n
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return offset }
            return nil
        }
        return offset
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    static func openDevNull() throws(SystemCallError) -> Int32 {
        let fd = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open", path: "/dev/null", errno: Errno(rawValue: errno)) }
        return fd
    }
}
