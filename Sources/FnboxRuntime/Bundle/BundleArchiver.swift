import Foundation
import SystemPackage
import ZIPFoundation

/// Packs a bundle directory into a zip in memory, as `fnbox deploy` uploads it.
///
/// Entries are sorted and stamped with one fixed date, so the same files always give the same
/// bytes (and the daemon the same `CodeSha256`). File modes are kept: an exec bundle's
/// `bootstrap` must stay executable. Symlinks are stored as symlinks; the daemon's safe
/// extraction refuses any that point out of the bundle.
public enum BundleArchiver {
    /// The date on every entry: 2000-01-01T00:00:00Z.
    static let entryDate = Date(timeIntervalSince1970: 946_684_800)

    /// Zips the contents of `directory` (the directory itself is not an entry).
    /// - Parameter directory: the bundle's root.
    /// - Returns: the archive's bytes.
    /// - Throws: `BundleError.notFound` when `directory` is missing, `.unsupportedBundle` when it
    ///   is not a directory, `.packingFailed` naming the path that could not be read or added.
    public static func zip(directory: FilePath) throws(BundleError) -> [UInt8] {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory.string, isDirectory: &isDirectory) else {
            throw .notFound(path: directory)
        }
        guard isDirectory.boolValue else { throw .unsupportedBundle(path: directory) }

        let relativePaths: [String]
        do {
            relativePaths = try fileManager.subpathsOfDirectory(atPath: directory.string).sorted()
        } catch {
            throw .packingFailed(path: directory, reason: "\(error)")
        }
        let archive: Archive
        do {
            archive = try Archive(accessMode: .create)
        } catch {
            throw .packingFailed(path: directory, reason: "\(error)")
        }
        for relative in relativePaths {
            let full = directory.appending(relative)
            do {
                try add(relative, at: full.string, to: archive)
            } catch let error as BundleError {
                throw error
            } catch {
                throw .packingFailed(path: full, reason: "\(error)")
            }
        }
        guard let data = archive.data else { throw .packingFailed(path: directory, reason: "the archive has no data") }
        return Array(data)
    }

    private static func add(_ relative: String, at path: String, to archive: Archive) throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let permissions = (attributes[.posixPermissions] as? NSNumber).map { UInt16(truncating: $0) & 0o777 }
        switch attributes[.type] as? FileAttributeType {
        case .typeDirectory?:
            try archive.addEntry(
                with: relative + "/", type: .directory, uncompressedSize: Int64(0), modificationDate: entryDate,
                permissions: permissions, provider: { _, _ in Data() })
        case .typeSymbolicLink?:
            let target = Data(try FileManager.default.destinationOfSymbolicLink(atPath: path).utf8)
            try archive.addEntry(
                with: relative, type: .symlink, uncompressedSize: Int64(target.count), modificationDate: entryDate,
                permissions: 0o777, provider: { position, size in target.subdata(in: Int(position)..<Int(position) + size) })
        case .typeRegular?:
            let contents = try Data(contentsOf: URL(fileURLWithPath: path))
            try archive.addEntry(
                with: relative, type: .file, uncompressedSize: Int64(contents.count), modificationDate: entryDate,
                permissions: permissions, compressionMethod: .deflate,
                provider: { position, size in contents.subdata(in: Int(position)..<Int(position) + size) })
        default:
            throw BundleError.packingFailed(
                path: FilePath(path), reason: "not a file, directory or symlink (\((attributes[.type] as? FileAttributeType)?.rawValue ?? "unknown type"))")
        }
    }
}
