import FnboxSystem
import SystemPackage

/// Why a bundle could not be opened: a bad manifest or setting, a missing handler, or a zip that
/// is not a zip or tries to write where it must not.
///
/// Zip errors name the entry as it is spelled in the archive. `file` in the manifest cases is
/// `fnbox.toml`, or the `ConfigOverrides.source` ("command line") when an override is at fault.
public enum BundleError: Error, Sendable, Equatable, CustomStringConvertible {
    // MARK: The bundle itself
    case notFound(path: FilePath)
    /// Neither a directory nor a regular file (a zip).
    case unsupportedBundle(path: FilePath)
    case readFailed(SystemCallError)
    case temporaryDirectoryFailed(SystemCallError)

    // MARK: Manifest and settings
    /// TOML syntax; `line` is 1-based when the parser gave one.
    case manifestParse(file: String, line: Int?, message: String)
    case unknownKey(file: String, key: String, suggestion: String?)
    case wrongType(file: String, field: String, expected: String, got: String)
    case invalidField(file: String, field: String, message: String)
    /// No manifest handler and nothing to infer one from; `hint` says what to add.
    case noHandler(bundle: String, hint: String)
    /// A handler was given without a runtime, and it names neither an executable nor a Python module.
    case cannotInferRuntime(file: String, handler: String)

    // MARK: Zip archives
    /// Not a zip at all, or a damaged one.
    case notAZip(source: String, reason: String)
    case zipTooLarge(size: Int, limit: Int)
    case tooManyEntries(count: UInt64, limit: Int)
    case unpackedSizeExceeded(limit: Int)
    case invalidEntryName(entry: String, reason: String)
    case absoluteEntryPath(entry: String)
    case entryEscapesRoot(entry: String)
    case duplicateEntry(entry: String)
    /// The entry's path goes through `link`, a symlink entry of the same archive.
    case entryThroughSymlink(entry: String, link: String)
    case symlinkEscapesRoot(entry: String, target: String)
    case symlinkTooDeep(entry: String, target: String)
    /// A FIFO, device or socket (`kind`), from the unix mode in the entry's external attributes.
    case specialFileEntry(entry: String, kind: String)
    case encryptedEntry(entry: String)
    case unsupportedCompression(entry: String, method: UInt16)
    case entrySizeMismatch(entry: String, declared: UInt64, actual: UInt64)
    case checksumMismatch(entry: String)
    case corruptEntry(entry: String, reason: String)
    case extractionFailed(entry: String, cause: SystemCallError)
    /// Packing a directory into a zip (`BundleArchiver`) failed at `path`.
    case packingFailed(path: FilePath, reason: String)

    /// Lambda's message for an upload it cannot unzip.
    public static let lambdaNotAZipMessage = "Could not unzip uploaded file. Please check your file, then try to upload again."

    public var description: String {
        switch self {
        case .notFound(let path):
            "bundle '\(path)' does not exist"
        case .unsupportedBundle(let path):
            "bundle '\(path)' is neither a directory nor a .zip file"
        case .readFailed(let cause):
            "cannot read the bundle: \(cause)"
        case .temporaryDirectoryFailed(let cause):
            "cannot create a directory to unpack the bundle: \(cause)"
        case .manifestParse(let file, let line, let message):
            "\(file)\(line.map { ":\($0)" } ?? ""): parse error: \(message)"
        case .unknownKey(let file, let key, let suggestion):
            "\(file): unknown key '\(key)'\(suggestion.map { " (did you mean '\($0)'?)" } ?? "")"
        case .wrongType(let file, let field, let expected, let got):
            "\(file): \(field): expected \(expected), got \(got)"
        case .invalidField(let file, let field, let message):
            "\(file): \(field): \(message)"
        case .noHandler(let bundle, let hint):
            "\(bundle): no handler found: \(hint)"
        case .cannotInferRuntime(let file, let handler):
            "\(file): handler: cannot tell the runtime of '\(handler)': the bundle has no executable '\(handler)' "
                + "and no Python module for it; set runtime to \"python3\" or \"exec\""
        case .notAZip(let source, let reason):
            "\(source): not a valid zip file (\(reason)). \(Self.lambdaNotAZipMessage)"
        case .zipTooLarge(let size, let limit):
            "Zipped size must be smaller than \(limit) bytes (this one is \(size))"
        case .tooManyEntries(let count, let limit):
            "the zip has \(count) entries; the limit is \(limit)"
        case .unpackedSizeExceeded(let limit):
            "Unzipped size must be smaller than \(limit) bytes"
        case .invalidEntryName(let entry, let reason):
            "zip entry '\(entry)': invalid name (\(reason))"
        case .absoluteEntryPath(let entry):
            "zip entry '\(entry)' has an absolute path; refusing to unpack it"
        case .entryEscapesRoot(let entry):
            "zip entry '\(entry)' has a '..' component that leaves the bundle; refusing to unpack it"
        case .duplicateEntry(let entry):
            "zip entry '\(entry)' appears more than once"
        case .entryThroughSymlink(let entry, let link):
            "zip entry '\(entry)' would be written through the symlink entry '\(link)'; refusing to unpack it"
        case .symlinkEscapesRoot(let entry, let target):
            "zip entry '\(entry)' is a symlink to '\(target)', which is outside the bundle; refusing to unpack it"
        case .symlinkTooDeep(let entry, let target):
            "zip entry '\(entry)' is a symlink to '\(target)', which goes through too many symlinks"
        case .specialFileEntry(let entry, let kind):
            "zip entry '\(entry)' is a \(kind); only files, directories and symlinks can be unpacked"
        case .encryptedEntry(let entry):
            "zip entry '\(entry)' is encrypted"
        case .unsupportedCompression(let entry, let method):
            "zip entry '\(entry)' uses compression method \(method); only stored (0) and deflate (8) are supported"
        case .entrySizeMismatch(let entry, let declared, let actual):
            "zip entry '\(entry)' declares \(declared) bytes but holds \(actual)"
        case .checksumMismatch(let entry):
            "zip entry '\(entry)' fails its CRC-32 check"
        case .corruptEntry(let entry, let reason):
            "zip entry '\(entry)' is damaged: \(reason)"
        case .extractionFailed(let entry, let cause):
            "cannot unpack zip entry '\(entry)': \(cause)"
        case .packingFailed(let path, let reason):
            "cannot zip '\(path)': \(reason)"
        }
    }
}
