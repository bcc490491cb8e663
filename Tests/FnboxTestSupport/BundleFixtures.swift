#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Files and zips for bundle tests: scratch directories, and a zip writer that puts exactly the
/// bytes a test asks for into an archive, hostile ones included (any name, any unix mode, lying
/// sizes), which a well-behaved zip library refuses to write.
public enum BundleFixtures {
    /// Makes a fresh empty directory under /tmp. Remove it with `remove(_:)`.
    public static func makeScratchDirectory(_ prefix: String = "fnbox-test") -> FilePath {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { FilePath(platformString: $0) }
        }
        guard let path else { fatalError("mkdtemp in /tmp failed: errno \(errno)") }
        return path
    }

    /// Writes a file, creating missing parent directories, and sets its mode.
    public static func writeFile(_ path: FilePath, _ contents: String, mode: mode_t = 0o644) {
        writeFile(path, Array(contents.utf8), mode: mode)
    }

    public static func writeFile(_ path: FilePath, _ bytes: [UInt8], mode: mode_t = 0o644) {
        makeDirectories(path.removingLastComponent())
        let fd = open(path.string, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "open \(path) failed: errno \(errno)")
        defer { close(fd) }
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                precondition(n > 0, "write \(path) failed: errno \(errno)")
                done += n
            }
        }
        precondition(fchmod(fd, mode) == 0)
    }

    public static func makeDirectories(_ path: FilePath) {
        var current = FilePath("/")
        for component in path.components {
            current.append(component)
            if mkdir(current.string, 0o755) != 0 && errno != EEXIST {
                preconditionFailure("mkdir \(current) failed: errno \(errno)")
            }
        }
    }

    public static func makeSymlink(_ path: FilePath, to target: String) {
        precondition(symlink(target, path.string) == 0, "symlink \(path) failed: errno \(errno)")
    }

    /// The names in a directory, sorted; empty if it doesn't exist.
    public static func list(_ path: FilePath) -> [String] {
        guard let dir = opendir(path.string) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Whether anything is at `path`, without following a final symlink.
    public static func exists(_ path: FilePath) -> Bool {
        var st = stat()
        return lstat(path.string, &st) == 0
    }

    /// `st_mode` of `path`, without following a final symlink.
    public static func mode(_ path: FilePath) -> mode_t? {
        var st = stat()
        return lstat(path.string, &st) == 0 ? st.st_mode : nil
    }

    public static func readLink(_ path: FilePath) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path.string, &buffer, buffer.count)
        return n < 0 ? nil : String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func readFile(_ path: FilePath) -> [UInt8]? {
        let fd = open(path.string, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += chunk[..<n]
        }
        return out
    }

    /// Removes a tree (symlinks are removed, not followed).
    public static func remove(_ path: FilePath) {
        var st = stat()
        guard lstat(path.string, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in list(path) { remove(path.appending(name)) }
            rmdir(path.string)
        } else {
            unlink(path.string)
        }
    }
}

/// One entry of a hand-made zip. Everything the central directory says is set directly.
public struct RawZipEntry: Sendable {
    public var name: [UInt8]
    /// The bytes stored in the archive: compressed already when `method` is 8.
    public var payload: [UInt8]
    public var method: UInt16
    public var crc32: UInt32
    public var uncompressedSize: UInt64
    /// The unix `st_mode` (type and permission bits); nil makes an MS-DOS entry without one.
    public var unixMode: UInt32?
    public var flags: UInt16

    public init(name: String, payload: [UInt8], method: UInt16 = 0, crc32: UInt32? = nil,
                uncompressedSize: UInt64? = nil, unixMode: UInt32? = 0o100644, flags: UInt16 = 0x0800) {
        self.name = Array(name.utf8)
        self.payload = payload
        self.method = method
        self.crc32 = crc32 ?? ZipCRC32.checksum(payload)
        self.uncompressedSize = uncompressedSize ?? UInt64(payload.count)
        self.unixMode = unixMode
        self.flags = flags
    }
}

/// Writes stored (and pre-deflated) entries: local headers, central directory, end record.
public struct RawZipWriter: Sendable {
    public var entries: [RawZipEntry] = []

    public init() {}

    public mutating func file(_ name: String, _ contents: String, mode: UInt32 = 0o644) {
        file(name, Array(contents.utf8), mode: mode)
    }

    public mutating func file(_ name: String, _ contents: [UInt8], mode: UInt32 = 0o644) {
        entries.append(RawZipEntry(name: name, payload: contents, unixMode: 0o100000 | mode))
    }

    public mutating func directory(_ name: String, mode: UInt32 = 0o755) {
        entries.append(RawZipEntry(name: name, payload: [], unixMode: 0o040000 | mode))
    }

    public mutating func symlink(_ name: String, to target: String) {
        entries.append(RawZipEntry(name: name, payload: Array(target.utf8), unixMode: 0o120777))
    }

    /// An entry of any unix file type: 0o010000 FIFO, 0o020000 char device, 0o060000 block device, 0o140000 socket.
    public mutating func special(_ name: String, fileType: UInt32) {
        entries.append(RawZipEntry(name: name, payload: [], unixMode: fileType | 0o644))
    }

    /// A deflated entry of `count` zero bytes that declares `declaredSize` (the truth by default).
    public mutating func deflatedZeros(_ name: String, count: Int, declaredSize: UInt64? = nil) {
        entries.append(RawZipEntry(
            name: name, payload: RawDeflate.zeros(count: count), method: 8,
            crc32: ZipCRC32.checksum([UInt8](repeating: 0, count: count)),
            uncompressedSize: declaredSize ?? UInt64(count)))
    }

    public mutating func add(_ entry: RawZipEntry) {
        entries.append(entry)
    }

    public func bytes() -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let offset = UInt32(out.count)
            let size32 = UInt32(truncatingIfNeeded: entry.uncompressedSize)
            out.le32(0x0403_4b50)
            out.le16(20)
            out.le16(entry.flags)
            out.le16(entry.method)
            out.le16(0)  // time
            out.le16(0x21)  // date: 1980-01-01
            out.le32(entry.crc32)
            out.le32(UInt32(entry.payload.count))
            out.le32(size32)
            out.le16(UInt16(entry.name.count))
            out.le16(0)
            out += entry.name
            out += entry.payload

            central.le32(0x0201_4b50)
            central.le16(entry.unixMode == nil ? 20 : 0x0300 | 30)  // made by: MS-DOS, or unix
            central.le16(20)
            central.le16(entry.flags)
            central.le16(entry.method)
            central.le16(0)
            central.le16(0x21)
            central.le32(entry.crc32)
            central.le32(UInt32(entry.payload.count))
            central.le32(size32)
            central.le16(UInt16(entry.name.count))
            central.le16(0)  // extra
            central.le16(0)  // comment
            central.le16(0)  // disk
            central.le16(0)  // internal attributes
            central.le32((entry.unixMode ?? 0) << 16 | (entry.unixMode.map { $0 & 0o170000 == 0o040000 ? 0x10 : 0 } ?? 0))
            central.le32(offset)
            central += entry.name
        }
        let directoryOffset = UInt32(out.count)
        out += central
        out.le32(0x0605_4b50)
        out.le16(0)
        out.le16(0)
        out.le16(UInt16(entries.count))
        out.le16(UInt16(entries.count))
        out.le32(UInt32(central.count))
        out.le32(directoryOffset)
        out.le16(0)
        return out
    }

    /// Writes the archive to `path`.
    public func write(to path: FilePath) {
        BundleFixtures.writeFile(path, bytes())
    }
}

/// A deflate stream made by hand with the fixed Huffman code (RFC 1951, 3.2.6), so tests can
/// make highly compressed data without a compressor.
public enum RawDeflate {
    /// One literal 0, then (length 258, distance 1) copies, then literals: about 13 bits per 258 bytes.
    public static func zeros(count: Int) -> [UInt8] {
        var bits = BitWriter()
        bits.put(1, count: 1)  // BFINAL
        bits.put(1, count: 2)  // BTYPE 01: fixed Huffman
        var left = count
        if left > 0 {
            bits.putCode(0x30, length: 8)  // literal 0
            left -= 1
        }
        while left >= 258 {
            bits.putCode(0xC5, length: 8)  // length code 285 = 258
            bits.putCode(0, length: 5)  // distance code 0 = 1
            left -= 258
        }
        for _ in 0..<left { bits.putCode(0x30, length: 8) }
        bits.putCode(0, length: 7)  // end of block (256)
        return bits.finish()
    }

    private struct BitWriter {
        var bytes: [UInt8] = []
        var current: UInt32 = 0
        var used = 0

        /// Data bits go least-significant first.
        mutating func put(_ value: UInt32, count: Int) {
            for i in 0..<count {
                current |= ((value >> i) & 1) << used
                used += 1
                if used == 8 {
                    bytes.append(UInt8(current))
                    current = 0
                    used = 0
                }
            }
        }

        /// Huffman codes go most-significant bit first.
        mutating func putCode(_ code: UInt32, length: Int) {
            for i in stride(from: length - 1, through: 0, by: -1) { put((code >> i) & 1, count: 1) }
        }

        mutating func finish() -> [UInt8] {
            if used > 0 { bytes.append(UInt8(current)) }
            return bytes
        }
    }
}

public enum ZipCRC32 {
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func le16(_ v: UInt16) { append(UInt8(v & 0xFF)); append(UInt8(v >> 8)) }
    fileprivate mutating func le32(_ v: UInt32) { le16(UInt16(v & 0xFFFF)); le16(UInt16(v >> 16)) }
}
