import FnboxAPI
import FnboxRuntime
import FnboxSystem
import Foundation
import SystemPackage

extension FunctionConfig {
    /// Adds the `[[mount]]` entries of the bundle's `fnbox.toml`, as `fnbox run` honours them, but only
    /// those whose source lies inside one of the daemon's `--mount-root` directories: whoever may deploy
    /// through the socket must not be able to mount the host's `/etc` into a sandbox. The Lambda API has
    /// no field for a host directory (`FileSystemConfigs` names EFS access points), so the manifest that
    /// already describes mounts for `fnbox run` is the least surprising place.
    /// - Throws: `LambdaError` 400 naming the manifest and the mount when it is not allowed or invalid.
    func withManifestMounts(bundleRoot: FilePath, allowedRoots: [String]) throws -> FunctionConfig {
        let path = bundleRoot.appending(ManifestParser.fileName)
        guard FileIO.exists(path) else { return self }
        let text: String
        do {
            text = String(decoding: try FileIO.readBytes(path, limit: 1 << 20), as: UTF8.self)
        } catch {
            throw LambdaError.service("could not read \(path): \(error)")
        }
        let manifest: Manifest
        do {
            manifest = try ManifestParser.parse(text)
        } catch {
            throw LambdaError.invalidParameter("\(error)")
        }
        guard !manifest.mounts.isEmpty else { return self }
        let roots = allowedRoots.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
        var config = self
        for mount in manifest.mounts {
            let source = URL(fileURLWithPath: mount.source).resolvingSymlinksInPath().path
            guard roots.contains(where: { source == $0 || source.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
                throw LambdaError.invalidParameter(
                    "\(ManifestParser.fileName): mount source '\(mount.source)' is outside fnboxd's --mount-root "
                        + (roots.isEmpty ? "(none given)" : roots.joined(separator: ", ")))
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw LambdaError.invalidParameter("\(ManifestParser.fileName): mount source '\(mount.source)' is not a directory")
            }
            config.mounts.append(FunctionMount(source: source, target: mount.target, readOnly: mount.readOnly))
        }
        return config
    }
}
