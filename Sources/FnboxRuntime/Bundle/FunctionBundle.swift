#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import FnboxSystem
import SystemPackage

/// A function's code and its settings: a directory, or a zip unpacked into a temporary one.
public struct FunctionBundle: Sendable {
    /// The directory holding the code (for a zip, the directory it was unpacked into).
    public let root: FilePath
    public let config: FunctionConfig
    /// Whether `root` was made by fnbox and should be removed with `removeTemporaryFiles()`.
    public let isTemporary: Bool

    /// Opens a directory or a zip, reads `fnbox.toml` if there is one, applies the overrides,
    /// infers what is missing, and validates the result.
    ///
    /// Without a runtime and handler, fnbox looks for `lambda_function.py` (python3,
    /// `lambda_function.lambda_handler`, the AWS console's default), then `app.py` (`app.handler`),
    /// then a `bootstrap` file (exec, as Lambda's `provided` runtimes). A handler given without a
    /// runtime is exec when it names an executable file, python3 when it names a module
    /// (`<module>.py` or a package directory). An exec handler must be an executable file inside
    /// the bundle; a python3 handler's module is not looked for here: as on Lambda, a missing
    /// module is reported when the function starts (`Runtime.ImportModuleError`).
    /// - Parameters:
    ///   - path: a directory, or a zip file (any regular file is read as a zip).
    ///   - overrides: settings that win over the manifest.
    ///   - extractInto: where a zip's temporary directory is made.
    ///   - zipLimits: limits for unpacking a zip.
    /// - Throws: `BundleError`; manifest and setting errors name the file and the field.
    public static func open(
        _ path: FilePath,
        overrides: ConfigOverrides = .init(),
        extractInto: FilePath = "/tmp",
        zipLimits: SafeZipExtractor.Limits = .lambda
    ) throws(BundleError) -> FunctionBundle {
        var st = stat()
        guard stat(path.string, &st) == 0 else {
            let err = Errno(rawValue: errno)
            if err == .noSuchFileOrDirectory || err == .notDirectory { throw .notFound(path: path) }
            throw .readFailed(SystemCallError("stat", path: path, errno: err))
        }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            let root = try realPath(path)
            return try load(root: root, isTemporary: false, defaultName: root.stem ?? "",
                            label: root.lastComponent?.string ?? root.string, overrides: overrides)
        case S_IFREG:
            let root = try SafeZipExtractor.extract(zipAt: path, to: extractInto, limits: zipLimits)
            return try loadUnpacked(root: root, defaultName: path.stem ?? "",
                                    label: path.lastComponent?.string ?? path.string, overrides: overrides)
        default:
            throw .unsupportedBundle(path: path)
        }
    }

    /// Opens a zip held in memory, such as a daemon request's `Code.ZipFile`.
    /// - Parameters:
    ///   - zipBytes: the archive.
    ///   - name: the function's name unless the manifest or the overrides give one.
    ///   - overrides: settings that win over the manifest.
    ///   - extractInto: where the temporary directory is made.
    ///   - zipLimits: limits for unpacking.
    /// - Throws: `BundleError`, as `open(_:overrides:extractInto:zipLimits:)`.
    public static func open(
        zipBytes: [UInt8],
        name: String,
        overrides: ConfigOverrides = .init(),
        extractInto: FilePath = "/tmp",
        zipLimits: SafeZipExtractor.Limits = .lambda
    ) throws(BundleError) -> FunctionBundle {
        let root = try SafeZipExtractor.extract(zipBytes: zipBytes, to: extractInto, limits: zipLimits)
        return try loadUnpacked(root: root, defaultName: name, label: "uploaded zip", overrides: overrides)
    }

    /// Deletes the unpacked directory of a zip bundle; does nothing for a directory bundle.
    public func removeTemporaryFiles() {
        guard isTemporary else { return }
        try? FileTree.remove(root)
    }

    private static func loadUnpacked(root: FilePath, defaultName: String, label: String,
                                     overrides: ConfigOverrides) throws(BundleError) -> FunctionBundle {
        do {
            return try load(root: try realPath(root), isTemporary: true, defaultName: defaultName,
                            label: label, overrides: overrides)
        } catch {
            try? FileTree.remove(root)
            throw error
        }
    }

    private static func load(root: FilePath, isTemporary: Bool, defaultName: String, label: String,
                             overrides: ConfigOverrides) throws(BundleError) -> FunctionBundle {
        let manifest = try readManifest(in: root)
        let config = try ConfigResolver(root: root, bundleLabel: label, defaultName: defaultName,
                                        manifest: manifest, overrides: overrides).resolve()
        return FunctionBundle(root: root, config: config, isTemporary: isTemporary)
    }

    /// Manifests are a few hundred bytes; anything past 1 MiB is a mistake.
    static let maxManifestBytes = 1 << 20

    private static func readManifest(in root: FilePath) throws(BundleError) -> Manifest? {
        let path = root.appending(ManifestParser.fileName)
        guard FileIO.exists(path) else { return nil }
        // Opening a FIFO for reading would block until a writer comes along.
        var st = stat()
        guard stat(path.string, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw .manifestParse(file: ManifestParser.fileName, line: nil, message: "not a regular file")
        }
        let bytes: [UInt8]
        do {
            bytes = try FileIO.readBytes(path, limit: maxManifestBytes + 1)
        } catch {
            throw .readFailed(error)
        }
        guard bytes.count <= maxManifestBytes else {
            throw .manifestParse(file: ManifestParser.fileName, line: nil, message: "the file is larger than 1 MiB")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .manifestParse(file: ManifestParser.fileName, line: nil, message: "the file is not valid UTF-8")
        }
        return try ManifestParser.parse(text, file: ManifestParser.fileName)
    }

    static func realPath(_ path: FilePath) throws(BundleError) -> FilePath {
        guard let resolved = realpath(path.string, nil) else {
            throw .readFailed(SystemCallError("realpath", path: path, errno: Errno(rawValue: errno)))
        }
        defer { free(resolved) }
        return FilePath(String(cString: resolved))
    }
}
