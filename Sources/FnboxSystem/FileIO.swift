#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Small, bounded file operations (cgroup files, /proc files): short reads and writes that are
/// fine to run inline, each throwing a `SystemCallError` that carries the path.
public enum FileIO {
    /// Reads a whole (small) file as UTF-8 text.
    /// - Throws: `SystemCallError` naming "open" or "read" and the path.
    public static func readText(_ path: FilePath, limit: Int = 1 << 20) throws(SystemCallError) -> String {
        let bytes = try readBytes(path, limit: limit)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads up to `limit` bytes of a file.
    public static func readBytes(_ path: FilePath, limit: Int = 1 << 20) throws(SystemCallError) -> [UInt8] {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec], retryOnInterrupt: true)
        } catch {
            throw SystemCallError("open", path: path, errno: (error as? Errno) ?? .ioError)
        }
        defer { try? fd.close() }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while out.count < limit {
            let n: Int
            do {
                n = try chunk.withUnsafeMutableBytes { try fd.read(into: $0, retryOnInterrupt: true) }
            } catch {
                throw SystemCallError("read", path: path, errno: (error as? Errno) ?? .ioError)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Writes `text` to an existing file in one `write` call, as cgroup and /proc files require.
    /// - Throws: `SystemCallError` naming "open" or "write" and the path.
    public static func writeText(_ path: FilePath, _ text: String) throws(SystemCallError) {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .writeOnly, options: [.closeOnExec], retryOnInterrupt: true)
        } catch {
            throw SystemCallError("open", path: path, errno: (error as? Errno) ?? .ioError)
        }
        defer { try? fd.close() }
        do {
            _ = try fd.writeAll(Array(text.utf8))
        } catch {
            throw SystemCallError("write", path: path, errno: (error as? Errno) ?? .ioError)
        }
    }

    /// Creates a directory; an existing one is fine when `existOK` is set.
    public static func makeDirectory(_ path: FilePath, mode: mode_t = 0o755, existOK: Bool = true) throws(SystemCallError) {
        if mkdir(path.string, mode) != 0 {
            let err = Errno(rawValue: errno)
            if existOK && err == .fileExists { return }
            throw SystemCallError("mkdir", path: path, errno: err)
        }
    }

    /// Creates a directory and its missing parents.
    public static func makeDirectories(_ path: FilePath, mode: mode_t = 0o755) throws(SystemCallError) {
        var current = FilePath(path.root.map { $0.string } ?? "")
        for component in path.components {
            current.append(component)
            try makeDirectory(current, mode: mode, existOK: true)
        }
    }

    /// Removes an empty directory.
    public static func removeDirectory(_ path: FilePath) throws(SystemCallError) {
        if rmdir(path.string) != 0 {
            throw SystemCallError("rmdir", path: path, errno: Errno(rawValue: errno))
        }
    }

    /// Whether something exists at `path` (without following a final symlink).
    public static func exists(_ path: FilePath) -> Bool {
        var st = stat()
        return lstat(path.string, &st) == 0
    }

    /// Whether `path` is a directory (following symlinks).
    public static func isDirectory(_ path: FilePath) -> Bool {
        var st = stat()
        return stat(path.string, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}
