#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Merges overrides, manifest and defaults into a `FunctionConfig`, infers the runtime and
/// handler when they are missing, and checks the result against the bundle. It remembers where
/// each setting came from, so an error names the file (or "command line") that is at fault.
struct ConfigResolver {
    let root: FilePath
    /// How the bundle is named in messages about settings taken from it (name, inferred handler).
    let bundleLabel: String
    let defaultName: String
    let manifest: Manifest?
    let overrides: ConfigOverrides

    private var manifestLabel: String { ManifestParser.fileName }

    func resolve() throws(BundleError) -> FunctionConfig {
        let manifest = self.manifest ?? Manifest()
        let (runtime, handler, handlerLabel) = try runtimeAndHandler(manifest)

        var mounts = manifest.mounts.filter { mount in !overrides.mounts.contains { $0.target == mount.target } }
        for (index, mount) in manifest.mounts.enumerated() where mounts.contains(mount) {
            try check(label: manifestLabel) { () throws(ConfigValidationError) in
                try FunctionConfig.checkMountSourceOnHost(mount.source, index: index)
            }
        }
        try check(label: overrides.source) { () throws(ConfigValidationError) in
            try FunctionConfig.checkMounts(overrides.mounts, onHost: true)
        }
        mounts += overrides.mounts

        let config = FunctionConfig(
            name: overrides.name ?? manifest.name ?? defaultName,
            runtime: runtime,
            handler: handler,
            memoryMB: overrides.memoryMB ?? manifest.memoryMB ?? FunctionConfig.defaultMemoryMB,
            timeoutSeconds: overrides.timeoutSeconds ?? manifest.timeoutSeconds ?? FunctionConfig.defaultTimeoutSeconds,
            environment: manifest.environment.merging(overrides.environment) { _, override in override },
            mounts: mounts)

        do {
            try config.validate()
        } catch {
            throw invalidField(error, label: label(for: error, handlerLabel: handlerLabel))
        }
        if runtime == .exec {
            try checkExecutable(handler, label: handlerLabel)
        }
        return config
    }

    // MARK: - Runtime and handler

    private func runtimeAndHandler(_ manifest: Manifest) throws(BundleError) -> (FunctionRuntime, String, String) {
        let runtime = overrides.runtime ?? manifest.runtime
        let given: (handler: String, label: String)? =
            if let handler = overrides.handler { (handler, overrides.source) }
            else if let handler = manifest.handler { (handler, manifestLabel) }
            else { nil }

        switch (runtime, given) {
        case (let runtime?, let given?):
            return (runtime, given.handler, given.label)
        case (nil, let given?):
            guard let inferred = inferRuntime(handler: given.handler) else {
                throw .cannotInferRuntime(file: given.label, handler: given.handler)
            }
            return (inferred, given.handler, given.label)
        case (let runtime, nil):
            guard let (inferredRuntime, handler) = inferHandler(runtime: runtime) else {
                throw .noHandler(bundle: bundleLabel, hint: Self.hint(for: runtime))
            }
            return (inferredRuntime, handler, bundleLabel)
        }
    }

    /// Lambda's defaults, in the order the AWS console and its `provided` runtimes use them.
    private func inferHandler(runtime: FunctionRuntime?) -> (FunctionRuntime, String)? {
        if runtime == nil || runtime == .python3 {
            if isRegularFile("lambda_function.py") { return (.python3, "lambda_function.lambda_handler") }
            if isRegularFile("app.py") { return (.python3, "app.handler") }
        }
        // A bootstrap without the execute bit is still taken, so the error says what is wrong with it.
        if runtime == nil || runtime == .exec, isRegularFile("bootstrap") { return (.exec, "bootstrap") }
        return nil
    }

    private static func hint(for runtime: FunctionRuntime?) -> String {
        let python = "add lambda_function.py (defining lambda_handler) or app.py (defining handler)"
        let exec = "add an executable named bootstrap"
        let manifest = "or set handler in \(ManifestParser.fileName)"
        return switch runtime {
        case .python3: "\(python), \(manifest)"
        case .exec: "\(exec), \(manifest)"
        case nil: "\(python), \(exec), or set runtime and handler in \(ManifestParser.fileName)"
        }
    }

    /// An executable file means exec; a Python module (`mod.py` or a package `mod/`, with the
    /// module split at the last '.') means python3; a plain file means exec, so the executable
    /// check can say what is wrong.
    private func inferRuntime(handler: String) -> FunctionRuntime? {
        guard !handler.hasPrefix("/"), !handler.split(separator: "/").contains("..") else { return nil }
        if isRegularFile(handler, executable: true) { return .exec }
        if let dot = handler.lastIndex(of: ".") {
            let module = handler[..<dot].split(whereSeparator: { $0 == "/" || $0 == "." }).joined(separator: "/")
            if !module.isEmpty, !module.split(separator: "/").contains(".."),
               isRegularFile(module + ".py") || isDirectory(module) {
                return .python3
            }
        }
        if isRegularFile(handler) { return .exec }
        return nil
    }

    // MARK: - Checks against the bundle

    /// The exec handler must be a regular, executable file that stays inside the bundle once
    /// symlinks are resolved.
    private func checkExecutable(_ handler: String, label: String) throws(BundleError) {
        func refuse(_ message: String) -> BundleError {
            .invalidField(file: label, field: "handler", message: "'\(handler)' \(message)")
        }
        guard let resolved = realpath(root.appending(handler).string, nil) else {
            throw refuse("does not exist in the bundle")
        }
        let path = String(cString: resolved)
        free(resolved)
        guard path.hasPrefix(root.string + "/") else { throw refuse("resolves to '\(path)', outside the bundle") }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { throw refuse("is not a regular file") }
        guard st.st_mode & 0o111 != 0 else { throw refuse("is not executable (chmod +x \(handler))") }
    }

    private func isRegularFile(_ relative: String, executable: Bool = false) -> Bool {
        var st = stat()
        guard stat(root.appending(relative).string, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        return !executable || st.st_mode & 0o111 != 0
    }

    private func isDirectory(_ relative: String) -> Bool {
        var st = stat()
        return stat(root.appending(relative).string, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    // MARK: - Where a setting came from

    private func label(for error: ConfigValidationError, handlerLabel: String) -> String {
        let manifest = self.manifest ?? Manifest()
        func source(override: Bool, inManifest: Bool) -> String {
            override ? overrides.source : inManifest ? manifestLabel : bundleLabel
        }
        switch error {
        case .invalidName, .nameTooLong:
            return source(override: overrides.name != nil, inManifest: manifest.name != nil)
        case .memoryOutOfRange:
            return source(override: overrides.memoryMB != nil, inManifest: manifest.memoryMB != nil)
        case .timeoutOutOfRange:
            return source(override: overrides.timeoutSeconds != nil, inManifest: manifest.timeoutSeconds != nil)
        case .invalidHandler, .handlerTooLong:
            return handlerLabel
        case .invalidEnvironmentKey(let key), .invalidEnvironmentValue(let key, _):
            return source(override: overrides.environment[key] != nil, inManifest: true)
        case .reservedEnvironmentKeys(let keys):
            return source(override: keys.contains { overrides.environment[$0] != nil }, inManifest: true)
        case .environmentTooLarge:
            return source(override: !overrides.environment.isEmpty, inManifest: true)
        case .mountSourceNotAbsolute, .mountSourceMissing, .mountSourceNotADirectory,
             .invalidMountTarget, .duplicateMountTarget:
            return source(override: !overrides.mounts.isEmpty, inManifest: true)
        }
    }

    private func invalidField(_ error: ConfigValidationError, label: String) -> BundleError {
        var message = error.message
        if label == bundleLabel, case .invalidName = error {
            message += " (taken from the bundle's name; set name in \(ManifestParser.fileName) or override it)"
        }
        return .invalidField(file: label, field: error.field, message: message)
    }

    private func check(label: String, _ body: () throws(ConfigValidationError) -> Void) throws(BundleError) {
        do { try body() } catch { throw invalidField(error, label: label) }
    }
}
