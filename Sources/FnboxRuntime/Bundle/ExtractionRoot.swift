#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import FnboxSystem
import SystemPackage

/// A fresh directory that a zip is unpacked into, written only through `*at` calls relative to
/// its descriptor with `O_NOFOLLOW` at every step. Even if the plan's checks missed something, a
/// symlink in the tree can't redirect a write outside it.
struct ExtractionRoot: ~Copyable {
    let path: FilePath
    private let fd: Int32

    /// Creates `parent/fnbox-bundle-XXXXXX` with `mkdtemp` (mode 0700 until `finish()`).
    init(in parent: FilePath) throws(SystemCallError) {
        var template = Array(parent.appending("fnbox-bundle-XXXXXX").string.utf8CString)
        let path: FilePath? = template.withUnsafeMutableBufferPointer { buffer in
            // The template is a non-empty array, so it has a base address.
            mkdtemp(buffer.baseAddress!).map { FilePath(platformString: $0) }
        }
        guard let path else { throw SystemCallError("mkdtemp", path: parent, errno: Errno(rawValue: errno)) }
        let fd = open(path.string, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let err = Errno(rawValue: errno)
            rmdir(path.string)
            throw SystemCallError("open", path: path, errno: err)
        }
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Makes the tree readable by the sandbox's unprivileged user, as Lambda's `/var/task` is (0755).
    func finish() throws(SystemCallError) {
        guard fchmod(fd, 0o755) == 0 else { throw SystemCallError("chmod", path: path, errno: Errno(rawValue: errno)) }
    }

    /// Creates the directory and any missing parents (0755).
    func makeDirectory(_ components: [String]) throws(SystemCallError) {
        let dir = try openDirectory(components[...])
        close(dir)
    }

    /// Creates a new file (never replacing one) and returns its descriptor, opened for writing.
    func createFile(_ components: [String], mode: mode_t) throws(SystemCallError) -> FileDescriptor {
        try Self.checkName(components.last ?? "", components)
        let parent = try openDirectory(components.dropLast())
        defer { if parent != fd { close(parent) } }
        let file = openat(parent, components[components.count - 1],
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw error("open", components) }
        // Set the mode explicitly: the umask must not change what the function can read or run.
        guard fchmod(file, mode) == 0 else {
            let failure = error("chmod", components)
            close(file)
            throw failure
        }
        return FileDescriptor(rawValue: file)
    }

    func makeSymlink(_ components: [String], target: String) throws(SystemCallError) {
        try Self.checkName(components.last ?? "", components)
        let parent = try openDirectory(components.dropLast())
        defer { if parent != fd { close(parent) } }
        guard symlinkat(target, parent, components[components.count - 1]) == 0 else {
            throw error("symlink", components)
        }
    }

    /// Walks down from the root one component at a time, creating what is missing. A component
    /// that is a symlink fails the walk (`O_NOFOLLOW`: ELOOP), as does one that is a file (ENOTDIR).
    private func openDirectory(_ components: ArraySlice<String>) throws(SystemCallError) -> Int32 {
        var current = fd
        var walked: [String] = []
        for component in components {
            walked.append(component)
            try Self.checkName(component, walked)
            if mkdirat(current, component, 0o755) == 0 {
                fchmodat(current, component, 0o755, 0)
            } else if errno != EEXIST {
                let failure = error("mkdir", walked)
                if current != fd { close(current) }
                throw failure
            }
            let next = openat(current, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let failure = next < 0 ? error("open", walked) : nil
            if current != fd { close(current) }
            if let failure { throw failure }
            current = next
        }
        return current
    }

    /// The plan only hands over plain names; this keeps a bug there from becoming a write outside
    /// the root, since `openat(dir, "..")` would happily climb out.
    private static func checkName(_ name: String, _ components: some Collection<String>) throws(SystemCallError) {
        guard name.isEmpty || name == "." || name == ".." || name.contains("/") else { return }
        throw SystemCallError("open", path: FilePath(components.joined(separator: "/")), errno: .invalidArgument)
    }

    private func error(_ operation: String, _ components: [String]) -> SystemCallError {
        SystemCallError(operation, path: path.appending(components.joined(separator: "/")), errno: Errno(rawValue: errno))
    }
}

/// Removing a tree that may hold hostile names and symlinks: never follows a link, never leaves it.
enum FileTree {
    /// Deletes `path` and everything below it. A symlink is removed, not followed.
    static func remove(_ path: FilePath) throws(SystemCallError) {
        var st = stat()
        guard lstat(path.string, &st) == 0 else {
            if errno == ENOENT { return }
            throw SystemCallError("lstat", path: path, errno: Errno(rawValue: errno))
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            guard unlink(path.string) == 0 else { throw SystemCallError("unlink", path: path, errno: Errno(rawValue: errno)) }
            return
        }
        let dir = open(path.string, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0 else { throw SystemCallError("open", path: path, errno: Errno(rawValue: errno)) }
        defer { close(dir) }
        try removeContents(of: dir, path: path)
        guard rmdir(path.string) == 0 else { throw SystemCallError("rmdir", path: path, errno: Errno(rawValue: errno)) }
    }

    private static func removeContents(of dir: Int32, path: FilePath) throws(SystemCallError) {
        for name in try names(in: dir, path: path) {
            let childPath = path.appending(String(decoding: name.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
            var st = stat()
            guard fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { continue }
                throw SystemCallError("stat", path: childPath, errno: Errno(rawValue: errno))
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                let child = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw SystemCallError("open", path: childPath, errno: Errno(rawValue: errno)) }
                defer { close(child) }
                try removeContents(of: child, path: childPath)
                guard unlinkat(dir, name, AT_REMOVEDIR) == 0 else {
                    throw SystemCallError("rmdir", path: childPath, errno: Errno(rawValue: errno))
                }
            } else {
                guard unlinkat(dir, name, 0) == 0 else {
                    throw SystemCallError("unlink", path: childPath, errno: Errno(rawValue: errno))
                }
            }
        }
    }

    /// The entries of a directory as NUL-terminated raw names (any bytes, not only UTF-8),
    /// read in full before any is removed.
    private static func names(in dir: Int32, path: FilePath) throws(SystemCallError) -> [[CChar]] {
        let copy = dup(dir)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            throw SystemCallError("opendir", path: path, errno: Errno(rawValue: errno))
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [[CChar]] = []
        while let entry = readdir(stream) {
            var name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                raw.prefix { $0 != 0 }.map { CChar(bitPattern: $0) }
            }
            if name == [46] || name == [46, 46] { continue }
            name.append(0)
            names.append(name)
        }
        return names
    }
}
