import Foundation

/// What a zip will put on disk, checked in full before a single byte is written: names, types,
/// duplicates, declared sizes and where every symlink leads.
struct ExtractionPlan {
    enum Kind: Equatable {
        case directory
        case file(executable: Bool)
        case symlink(target: String)
    }

    struct Item {
        let record: ZipEntryRecord
        /// The entry's name as the archive spells it, for messages.
        let name: String
        /// The normalized relative path: no empty, '.' or '..' components.
        let components: [String]
        let kind: Kind

        var path: String { components.joined(separator: "/") }
    }

    private(set) var items: [Item] = []
    /// Bytes already taken from the archive while planning (symlink targets).
    private(set) var bytesRead: UInt64 = 0

    /// Longest symlink target accepted, as PATH_MAX allows.
    static let maxSymlinkTarget = 4095
    /// Symlinks followed while resolving one target, as the kernel's ELOOP limit.
    static let maxSymlinkHops = 40

    /// - Throws: the first problem found, naming its entry.
    init(archive: ZipArchive, limits: SafeZipExtractor.Limits) throws(BundleError) {
        var declared: UInt64 = 0
        for record in archive.entries {
            let (sum, overflow) = declared.addingReportingOverflow(record.uncompressedSize)
            guard !overflow, sum <= UInt64(limits.maxUnpackedBytes) else {
                throw .unpackedSizeExceeded(limit: limits.maxUnpackedBytes)
            }
            declared = sum
        }

        var seen: [String: Kind] = [:]
        for record in archive.entries {
            guard let item = try Self.classify(record) else { continue }
            guard seen.updateValue(item.kind, forKey: item.path) == nil else {
                throw .duplicateEntry(entry: item.name)
            }
            items.append(item)
        }

        // Reading a symlink's target needs its data; read them all now, then check each one
        // against every other symlink in the archive.
        for (i, item) in items.enumerated() {
            guard case .symlink = item.kind else { continue }
            let target = try readSymlinkTarget(item, archive: archive)
            items[i] = Item(record: item.record, name: item.name, components: item.components, kind: .symlink(target: target))
        }
        let symlinks = Dictionary(uniqueKeysWithValues: items.compactMap { item -> (String, String)? in
            if case .symlink(let target) = item.kind { (item.path, target) } else { nil }
        })
        for item in items {
            try Self.refuseParentsThatAreNotDirectories(item, seen: seen)
            if case .symlink(let target) = item.kind {
                try Self.checkSymlink(item, target: target, symlinks: symlinks)
            }
        }
    }

    /// Decodes and checks one entry's name and type. Returns nil for an entry naming the root itself (`./`).
    private static func classify(_ record: ZipEntryRecord) throws(BundleError) -> Item? {
        let display = record.displayName
        guard let decoded = String(validating: record.rawName, as: UTF8.self) else {
            throw .invalidEntryName(entry: display, reason: "not valid UTF-8")
        }
        guard !decoded.isEmpty else { throw .invalidEntryName(entry: display, reason: "empty") }
        guard !decoded.utf8.contains(0) else { throw .invalidEntryName(entry: display, reason: "contains a NUL byte") }

        // Zips made on Windows may use '\' as the separator; treat it as one, so `..\x` is caught too.
        let name = decoded.replacingOccurrences(of: "\\", with: "/")
        guard !name.hasPrefix("/") else { throw .absoluteEntryPath(entry: display) }
        let parts = name.split(separator: "/")
        guard !parts.contains("..") else { throw .entryEscapesRoot(entry: display) }
        let components = parts.filter { $0 != "." }.map(String.init)
        let endsWithSlash = name.hasSuffix("/")

        let kind: Kind
        let fileType = (record.unixMode ?? 0) & 0o170000
        switch fileType {
        case 0o010000: throw .specialFileEntry(entry: display, kind: "FIFO")
        case 0o020000: throw .specialFileEntry(entry: display, kind: "character device")
        case 0o060000: throw .specialFileEntry(entry: display, kind: "block device")
        case 0o140000: throw .specialFileEntry(entry: display, kind: "socket")
        case 0o120000:
            guard !endsWithSlash else { throw .invalidEntryName(entry: display, reason: "a symlink whose name ends in '/'") }
            kind = .symlink(target: "")
        case 0o040000:
            kind = .directory
        case 0o100000, 0:
            if endsWithSlash || (record.unixMode == nil && record.hasDOSDirectoryAttribute) {
                kind = .directory
            } else {
                kind = .file(executable: (record.unixMode ?? 0) & 0o111 != 0)
            }
        default:
            throw .specialFileEntry(entry: display, kind: "file of unknown type \(String(fileType, radix: 8))")
        }

        if components.isEmpty {
            guard kind == .directory else { throw .invalidEntryName(entry: display, reason: "names the bundle root") }
            return nil
        }
        if kind != .directory {
            guard !record.isEncrypted else { throw .encryptedEntry(entry: display) }
            guard record.method == 0 || record.method == 8 else {
                throw .unsupportedCompression(entry: display, method: record.method)
            }
        }
        return Item(record: record, name: display, components: components, kind: kind)
    }

    private mutating func readSymlinkTarget(_ item: Item, archive: ZipArchive) throws(BundleError) -> String {
        var bytes: [UInt8] = []
        let crc = try archive.streamData(of: item.record) { (chunk: Data) throws(BundleError) in
            bytes.append(contentsOf: chunk)
            guard bytes.count <= Self.maxSymlinkTarget else {
                throw .corruptEntry(entry: item.name, reason: "its symlink target is longer than \(Self.maxSymlinkTarget) bytes")
            }
        }
        guard UInt64(bytes.count) == item.record.uncompressedSize else {
            throw .entrySizeMismatch(entry: item.name, declared: item.record.uncompressedSize, actual: UInt64(bytes.count))
        }
        guard crc == item.record.crc32 else { throw .checksumMismatch(entry: item.name) }
        bytesRead += UInt64(bytes.count)
        guard let target = String(validating: bytes, as: UTF8.self), !target.isEmpty, !bytes.contains(0) else {
            throw .corruptEntry(entry: item.name, reason: "its symlink target is empty, not UTF-8 or contains a NUL byte")
        }
        return target
    }

    /// An entry below another entry that is a symlink would be written through that link, and
    /// one below a file can't be written at all.
    private static func refuseParentsThatAreNotDirectories(_ item: Item, seen: [String: Kind]) throws(BundleError) {
        var prefix = ""
        for component in item.components.dropLast() {
            prefix += prefix.isEmpty ? component : "/" + component
            switch seen[prefix] {
            case .symlink: throw .entryThroughSymlink(entry: item.name, link: prefix)
            case .file: throw .invalidEntryName(entry: item.name, reason: "'\(prefix)' is a file entry, not a directory")
            case .directory, nil: continue
            }
        }
    }

    /// Resolves the target the way the kernel will, through the archive's other symlinks, so that
    /// `a -> .` followed by `b -> a/../x` is seen to leave the root even though `a/..` looks
    /// harmless on paper. Targets outside the archive's entries are resolved as plain names.
    private static func checkSymlink(_ item: Item, target: String, symlinks: [String: String]) throws(BundleError) {
        var resolved = Array(item.components.dropLast())
        var pending = Array(target.split(separator: "/", omittingEmptySubsequences: true).reversed())
        var hops = 0
        guard !target.hasPrefix("/") else { throw .symlinkEscapesRoot(entry: item.name, target: target) }
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                guard !resolved.isEmpty else { throw .symlinkEscapesRoot(entry: item.name, target: target) }
                resolved.removeLast()
                continue
            }
            resolved.append(String(component))
            guard let next = symlinks[resolved.joined(separator: "/")] else { continue }
            hops += 1
            guard hops <= maxSymlinkHops else { throw .symlinkTooDeep(entry: item.name, target: target) }
            guard !next.hasPrefix("/") else { throw .symlinkEscapesRoot(entry: item.name, target: target) }
            resolved.removeLast()
            pending.append(contentsOf: next.split(separator: "/", omittingEmptySubsequences: true).reversed())
        }
    }
}
