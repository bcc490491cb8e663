#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import FnboxSystem
import Foundation
import SystemPackage

/// Unpacks a zip that may have been built to attack the host.
///
/// Every entry is checked before anything is written: no absolute paths, no `..`, no symlink that
/// leads outside the root (resolved through the archive's other symlinks), no FIFOs, devices or
/// sockets, no duplicates, at most `maxEntries` entries and `maxUnpackedBytes` declared. Writing
/// then counts the bytes actually produced, since declared sizes can lie, and goes through
/// `O_NOFOLLOW` `*at` calls below a fresh `mkdtemp` directory; symlinks are created last. On any
/// error the directory is removed, so a refused zip leaves nothing behind.
///
/// Modes are normalized as the sandbox needs them: directories 0755, files 0644, or 0755 when
/// the archive gave the file any execute bit. Setuid, setgid and sticky bits are never kept.
///
/// This is bulk blocking file work: call it off the cooperative thread pool.
public enum SafeZipExtractor {
    /// Lambda's limits by default; tests make them small.
    public struct Limits: Sendable, Equatable {
        /// Total size of everything unpacked, declared and actual (Lambda: 262,144,000).
        public var maxUnpackedBytes: Int
        /// Size of a zip given as bytes (Lambda's direct upload limit: 52,428,800).
        public var maxZippedBytes: Int
        /// Entries in the central directory.
        public var maxEntries: Int

        public init(maxUnpackedBytes: Int = 262_144_000, maxZippedBytes: Int = 52_428_800, maxEntries: Int = 10_000) {
            self.maxUnpackedBytes = maxUnpackedBytes
            self.maxZippedBytes = maxZippedBytes
            self.maxEntries = maxEntries
        }

        public static let lambda = Limits()
    }

    /// Unpacks the zip file at `path` into a new directory inside `parent`.
    /// - Parameters:
    ///   - path: the zip file.
    ///   - parent: where the new directory (`fnbox-bundle-XXXXXX`) is made; it must exist.
    ///   - limits: size and entry limits.
    /// - Returns: the new directory. The caller removes it when done (`FunctionBundle.removeTemporaryFiles()`).
    /// - Throws: `BundleError` naming the entry at fault; `.notAZip` when the file isn't a zip.
    public static func extract(zipAt path: FilePath, to parent: FilePath = "/tmp", limits: Limits = .lambda) throws(BundleError) -> FilePath {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec], retryOnInterrupt: true)
        } catch {
            throw .readFailed(SystemCallError("open", path: path, errno: (error as? Errno) ?? .ioError))
        }
        defer { try? fd.close() }
        var st = stat()
        guard fstat(fd.rawValue, &st) == 0 else {
            throw .readFailed(SystemCallError("stat", path: path, errno: Errno(rawValue: errno)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw .notAZip(source: path.string, reason: "it is not a regular file")
        }
        let archive = try ZipArchive(source: .file(fd, size: UInt64(st.st_size)), sourceName: path.string, maxEntries: limits.maxEntries)
        return try extract(archive, to: parent, limits: limits)
    }

    /// Unpacks a zip held in memory, such as the daemon's base64-decoded `Code.ZipFile`.
    /// - Parameters:
    ///   - zipBytes: the archive; more than `limits.maxZippedBytes` is refused before reading it.
    ///   - parent: where the new directory is made; it must exist.
    ///   - limits: size and entry limits.
    /// - Returns: the new directory.
    /// - Throws: `BundleError`: `.zipTooLarge`, `.notAZip`, or the entry at fault.
    public static func extract(zipBytes: [UInt8], to parent: FilePath = "/tmp", limits: Limits = .lambda) throws(BundleError) -> FilePath {
        guard zipBytes.count <= limits.maxZippedBytes else {
            throw .zipTooLarge(size: zipBytes.count, limit: limits.maxZippedBytes)
        }
        let archive = try ZipArchive(source: .memory(zipBytes), sourceName: "uploaded zip", maxEntries: limits.maxEntries)
        return try extract(archive, to: parent, limits: limits)
    }

    private static func extract(_ archive: ZipArchive, to parent: FilePath, limits: Limits) throws(BundleError) -> FilePath {
        let plan = try ExtractionPlan(archive: archive, limits: limits)
        let root: ExtractionRoot
        do {
            root = try ExtractionRoot(in: parent)
        } catch {
            throw .temporaryDirectoryFailed(error)
        }
        do throws(BundleError) {
            try write(plan, from: archive, into: root, limits: limits)
            do { try root.finish() } catch { throw BundleError.extractionFailed(entry: ".", cause: error) }
        } catch {
            try? FileTree.remove(root.path)
            throw error
        }
        return root.path
    }

    /// Directories first, then files, then symlinks: no entry is written after a symlink exists.
    private static func write(_ plan: ExtractionPlan, from archive: ZipArchive, into root: borrowing ExtractionRoot,
                              limits: Limits) throws(BundleError) {
        var written = plan.bytesRead
        for item in plan.items where item.kind == .directory {
            do { try root.makeDirectory(item.components) } catch { throw .extractionFailed(entry: item.name, cause: error) }
        }
        for item in plan.items {
            guard case .file(let executable) = item.kind else { continue }
            try writeFile(item, executable: executable, from: archive, into: root, written: &written, limits: limits)
        }
        for item in plan.items {
            guard case .symlink(let target) = item.kind else { continue }
            do { try root.makeSymlink(item.components, target: target) } catch { throw .extractionFailed(entry: item.name, cause: error) }
        }
    }

    private static func writeFile(_ item: ExtractionPlan.Item, executable: Bool, from archive: ZipArchive,
                                  into root: borrowing ExtractionRoot, written: inout UInt64, limits: Limits) throws(BundleError) {
        let file: FileDescriptor
        do {
            file = try root.createFile(item.components, mode: executable ? 0o755 : 0o644)
        } catch {
            throw .extractionFailed(entry: item.name, cause: error)
        }
        defer { try? file.close() }
        var entryBytes: UInt64 = 0
        let total = written
        let path = root.path.appending(item.path)
        let crc = try archive.streamData(of: item.record) { (chunk: Data) throws(BundleError) in
            entryBytes += UInt64(chunk.count)
            // The archive's own sizes were checked up front; these checks catch the ones that lie.
            guard total + entryBytes <= UInt64(limits.maxUnpackedBytes) else {
                throw .unpackedSizeExceeded(limit: limits.maxUnpackedBytes)
            }
            guard entryBytes <= item.record.uncompressedSize else {
                throw .entrySizeMismatch(entry: item.name, declared: item.record.uncompressedSize, actual: entryBytes)
            }
            do {
                _ = try file.writeAll(chunk)
            } catch {
                throw .extractionFailed(entry: item.name, cause: SystemCallError(
                    "write", path: path, errno: (error as? Errno) ?? .ioError))
            }
        }
        written = total + entryBytes
        guard entryBytes == item.record.uncompressedSize else {
            throw .entrySizeMismatch(entry: item.name, declared: item.record.uncompressedSize, actual: entryBytes)
        }
        guard crc == item.record.crc32 else { throw .checksumMismatch(entry: item.name) }
    }
}
