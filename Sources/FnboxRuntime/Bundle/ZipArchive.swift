#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import FnboxSystem
import Foundation
import SystemPackage
import ZIPFoundation

/// One central-directory record, as the archive states it. Nothing here is trusted yet.
struct ZipEntryRecord: Sendable {
    let rawName: [UInt8]
    let flags: UInt16
    let method: UInt16
    let crc32: UInt32
    let compressedSize: UInt64
    let uncompressedSize: UInt64
    let localHeaderOffset: UInt64
    let versionMadeBy: UInt16
    let externalAttributes: UInt32

    /// The name for messages: decoded leniently, so a bad name can still be reported.
    var displayName: String { String(decoding: rawName, as: UTF8.self) }

    var isEncrypted: Bool { flags & 0x0001 != 0 }

    /// The unix `st_mode` in the upper half of the external attributes, when the archive was
    /// made on unix (3) or macOS (19) and set one.
    var unixMode: UInt32? {
        let host = versionMadeBy >> 8
        guard host == 3 || host == 19 else { return nil }
        let mode = externalAttributes >> 16
        return mode == 0 ? nil : mode
    }

    /// The MS-DOS directory attribute, for archives made elsewhere.
    var hasDOSDirectoryAttribute: Bool { externalAttributes & 0x10 != 0 }
}

/// Where the archive's bytes are: a file read with `pread`, or bytes already in memory.
enum ZipSource {
    case file(FileDescriptor, size: UInt64)
    case memory([UInt8])

    var size: UInt64 {
        switch self {
        case .file(_, let size): size
        case .memory(let bytes): UInt64(bytes.count)
        }
    }
}

/// A read-only view of a zip archive: its central directory, parsed by hand, and the data of
/// each entry, streamed.
///
/// ZIPFoundation's `Entry` does not expose the external attributes and reports FIFOs and devices
/// as regular files, so the directory is read here; ZIPFoundation still does the inflating.
struct ZipArchive {
    let source: ZipSource
    /// How the archive is named in messages.
    let sourceName: String
    private(set) var entries: [ZipEntryRecord]

    private static let endOfCentralDirectorySignature: UInt32 = 0x0605_4b50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    private static let zip64EndSignature: UInt32 = 0x0606_4b50
    private static let centralHeaderSignature: UInt32 = 0x0201_4b50
    private static let localHeaderSignature: UInt32 = 0x0403_4b50
    /// More than 10,000 entries' worth of names, extras and comments at their usual size.
    private static let maxCentralDirectoryBytes: UInt64 = 64 << 20

    /// Reads the central directory.
    /// - Throws: `.notAZip` for anything malformed, `.tooManyEntries` before reading more records than `maxEntries`.
    init(source: ZipSource, sourceName: String, maxEntries: Int) throws(BundleError) {
        self.source = source
        self.sourceName = sourceName
        self.entries = []
        let (count, directoryOffset, directorySize) = try findCentralDirectory()
        guard count <= UInt64(maxEntries) else { throw .tooManyEntries(count: count, limit: maxEntries) }
        guard directorySize <= Self.maxCentralDirectoryBytes else { throw notAZip("the central directory is too large") }
        let directory = try read(at: directoryOffset, count: Int(directorySize))
        self.entries = try Self.parseCentralDirectory(directory, count: Int(count), archive: self)
    }

    func notAZip(_ reason: String) -> BundleError {
        .notAZip(source: sourceName, reason: reason)
    }

    /// Reads exactly `count` bytes at `offset`, or throws `.notAZip` if the archive is shorter.
    func read(at offset: UInt64, count: Int) throws(BundleError) -> [UInt8] {
        let (end, overflow) = offset.addingReportingOverflow(UInt64(count))
        guard !overflow, end <= source.size else { throw notAZip("an offset points past the end of the archive") }
        switch source {
        case .memory(let bytes):
            return Array(bytes[Int(offset)..<Int(end)])
        case .file(let fd, _):
            var out = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let n: Int
                do {
                    n = try out.withUnsafeMutableBytes { buffer in
                        try fd.read(fromAbsoluteOffset: Int64(offset) + Int64(done),
                                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]),
                                    retryOnInterrupt: true)
                    }
                } catch {
                    throw .readFailed(SystemCallError("pread", path: FilePath(sourceName), errno: (error as? Errno) ?? .ioError))
                }
                guard n > 0 else { throw notAZip("the archive is shorter than it says") }
                done += n
            }
            return out
        }
    }

    // MARK: - Central directory

    /// Finds the end-of-central-directory record (the last one in the final 64 KiB + 22 bytes,
    /// since a comment may follow it) and, when the archive is ZIP64, the ZIP64 record it points to.
    private func findCentralDirectory() throws(BundleError) -> (count: UInt64, offset: UInt64, size: UInt64) {
        let size = source.size
        guard size >= 22 else { throw notAZip("it is too short to be a zip file") }
        let tailLength = min(size, 22 + 0xFFFF)
        let tailStart = size - tailLength
        let tail = try read(at: tailStart, count: Int(tailLength))
        var position: Int? = nil
        var i = tail.count - 22
        while i >= 0 {
            if LE.u32(tail, i) == Self.endOfCentralDirectorySignature,
               i + 22 + Int(LE.u16(tail, i + 20)) <= tail.count {
                position = i
                break
            }
            i -= 1
        }
        guard let eocd = position else { throw notAZip("no end of central directory record") }
        let diskNumber = LE.u16(tail, eocd + 4)
        let directoryDisk = LE.u16(tail, eocd + 6)
        let entriesOnDisk = LE.u16(tail, eocd + 8)
        var count = UInt64(LE.u16(tail, eocd + 10))
        var directorySize = UInt64(LE.u32(tail, eocd + 12))
        var directoryOffset = UInt64(LE.u32(tail, eocd + 16))
        guard diskNumber == 0, directoryDisk == 0, UInt64(entriesOnDisk) == count else {
            throw notAZip("it spans several disks")
        }

        let eocdOffset = tailStart + UInt64(eocd)
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF, eocdOffset >= 20 {
            let locator = try read(at: eocdOffset - 20, count: 20)
            if LE.u32(locator, 0) == Self.zip64LocatorSignature {
                let record = try read(at: LE.u64(locator, 8), count: 56)
                guard LE.u32(record, 0) == Self.zip64EndSignature else { throw notAZip("a bad ZIP64 end record") }
                guard LE.u32(record, 16) == 0, LE.u32(record, 20) == 0, LE.u64(record, 24) == LE.u64(record, 32) else {
                    throw notAZip("it spans several disks")
                }
                count = LE.u64(record, 32)
                directorySize = LE.u64(record, 40)
                directoryOffset = LE.u64(record, 48)
            }
        }
        let (end, overflow) = directoryOffset.addingReportingOverflow(directorySize)
        guard !overflow, end <= eocdOffset else { throw notAZip("the central directory lies outside the archive") }
        return (count, directoryOffset, directorySize)
    }

    private static func parseCentralDirectory(_ directory: [UInt8], count: Int, archive: ZipArchive) throws(BundleError) -> [ZipEntryRecord] {
        var records: [ZipEntryRecord] = []
        records.reserveCapacity(count)
        var p = 0
        for _ in 0..<count {
            guard p + 46 <= directory.count, LE.u32(directory, p) == centralHeaderSignature else {
                throw archive.notAZip("a damaged central directory")
            }
            let nameLength = Int(LE.u16(directory, p + 28))
            let extraLength = Int(LE.u16(directory, p + 30))
            let commentLength = Int(LE.u16(directory, p + 32))
            let end = p + 46 + nameLength + extraLength + commentLength
            guard end <= directory.count else { throw archive.notAZip("a damaged central directory") }
            let name = Array(directory[(p + 46)..<(p + 46 + nameLength)])
            let extra = Array(directory[(p + 46 + nameLength)..<(p + 46 + nameLength + extraLength)])

            var uncompressed = UInt64(LE.u32(directory, p + 24))
            var compressed = UInt64(LE.u32(directory, p + 20))
            var offset = UInt64(LE.u32(directory, p + 42))
            if uncompressed == 0xFFFF_FFFF || compressed == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
                guard let zip64 = zip64Extra(extra) else {
                    throw archive.notAZip("entry '\(String(decoding: name, as: UTF8.self))' lacks its ZIP64 sizes")
                }
                // The ZIP64 extra holds only the fields that overflowed, in this order.
                var q = 0
                func next() -> UInt64? {
                    guard q + 8 <= zip64.count else { return nil }
                    defer { q += 8 }
                    return LE.u64(zip64, q)
                }
                if uncompressed == 0xFFFF_FFFF { uncompressed = next() ?? .max }
                if compressed == 0xFFFF_FFFF { compressed = next() ?? .max }
                if offset == 0xFFFF_FFFF { offset = next() ?? .max }
            }
            records.append(ZipEntryRecord(
                rawName: name,
                flags: LE.u16(directory, p + 8),
                method: LE.u16(directory, p + 10),
                crc32: LE.u32(directory, p + 16),
                compressedSize: compressed,
                uncompressedSize: uncompressed,
                localHeaderOffset: offset,
                versionMadeBy: LE.u16(directory, p + 4),
                externalAttributes: LE.u32(directory, p + 38)))
            p = end
        }
        return records
    }

    private static func zip64Extra(_ extra: [UInt8]) -> [UInt8]? {
        var p = 0
        while p + 4 <= extra.count {
            let id = LE.u16(extra, p)
            let length = Int(LE.u16(extra, p + 2))
            guard p + 4 + length <= extra.count else { return nil }
            if id == 0x0001 { return Array(extra[(p + 4)..<(p + 4 + length)]) }
            p += 4 + length
        }
        return nil
    }

    // MARK: - Entry data

    /// Streams an entry's uncompressed bytes to `consumer` and returns their CRC-32.
    ///
    /// Sizes come from the central directory. The consumer sees every byte as it is produced, so
    /// it can stop a lying entry (say, 10 bytes declared and gigabytes inflated) by throwing.
    /// - Throws: whatever `consumer` throws as a `BundleError`; `.corruptEntry` for bad data.
    func streamData(of entry: ZipEntryRecord, chunkSize: Int = 64 << 10,
                    consumer: (Data) throws(BundleError) -> Void) throws(BundleError) -> UInt32 {
        let name = entry.displayName
        let header = try read(at: entry.localHeaderOffset, count: 30)
        guard LE.u32(header, 0) == Self.localHeaderSignature else {
            throw .corruptEntry(entry: name, reason: "no local header where the central directory says")
        }
        let dataStart = entry.localHeaderOffset + 30 + UInt64(LE.u16(header, 26)) + UInt64(LE.u16(header, 28))
        let (dataEnd, overflow) = dataStart.addingReportingOverflow(entry.compressedSize)
        guard !overflow, dataEnd <= source.size else {
            throw .corruptEntry(entry: name, reason: "its data runs past the end of the archive")
        }

        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw .entrySizeMismatch(entry: name, declared: entry.uncompressedSize, actual: entry.compressedSize)
            }
            var crc: UInt32 = 0
            var offset = dataStart
            while offset < dataEnd {
                let chunk = Data(try read(at: offset, count: Int(min(UInt64(chunkSize), dataEnd - offset))))
                crc = chunk.crc32(checksum: crc)
                try consumer(chunk)
                offset += UInt64(chunk.count)
            }
            return crc
        case 8:
            return try inflate(name: name, from: dataStart, to: dataEnd, chunkSize: chunkSize, consumer: consumer)
        default:
            throw .unsupportedCompression(entry: name, method: entry.method)
        }
    }

    private func inflate(name: String, from start: UInt64, to end: UInt64, chunkSize: Int,
                         consumer: (Data) throws(BundleError) -> Void) throws(BundleError) -> UInt32 {
        var offset = start
        var exhausted = false
        do {
            return try Data.decompress(
                size: Int64(end - start), bufferSize: chunkSize, skipCRC32: false,
                provider: { _, _ in
                    // ZIPFoundation's Linux inflate loop sets avail_in to bufferSize whatever the
                    // chunk's count, and asks again forever when a stream never ends. So each chunk
                    // is exactly bufferSize bytes (the entry's bytes, then zeros), and a stream still
                    // open once the entry's bytes are used up is refused here.
                    guard !exhausted else { throw BundleError.corruptEntry(entry: name, reason: "the compressed data ends early") }
                    let n = Int(min(UInt64(chunkSize), end - offset))
                    var chunk = Data(try read(at: offset, count: n))
                    if n < chunkSize { chunk.append(Data(count: chunkSize - n)) }
                    offset += UInt64(n)
                    exhausted = offset == end
                    return chunk
                },
                consumer: { data throws(BundleError) in try consumer(data) })
        } catch let error as BundleError {
            throw error
        } catch {
            throw .corruptEntry(entry: name, reason: "invalid deflate data")
        }
    }
}

/// Little-endian reads; callers check the bounds.
enum LE {
    static func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    static func u32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(b, i)) | UInt32(u16(b, i + 2)) << 16 }
    static func u64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32 }
}
