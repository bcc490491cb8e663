#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FunctionConfig {
    /// Checks every field against Lambda's rules, in the order Lambda reports them.
    ///
    /// Checks that need the bundle itself (an exec handler exists and is executable) are done
    /// by `FunctionBundle.open`. Mount sources are checked on this host: they must exist and be
    /// directories.
    /// - Throws: `ConfigValidationError` for the first rule broken.
    public func validate() throws(ConfigValidationError) {
        try Self.checkName(name)
        try Self.checkHandler(handler, runtime: runtime)
        try Self.checkMemory(memoryMB)
        try Self.checkTimeout(timeoutSeconds)
        try Self.checkEnvironment(environment)
        try Self.checkMounts(mounts, onHost: true)
    }

    static func checkName(_ name: String) throws(ConfigValidationError) {
        guard !name.isEmpty, name.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else {
            throw .invalidName(name)
        }
        guard name.count <= maxNameLength else { throw .nameTooLong(name) }
    }

    static func checkMemory(_ mb: Int) throws(ConfigValidationError) {
        guard memoryRangeMB.contains(mb) else { throw .memoryOutOfRange(mb) }
    }

    static func checkTimeout(_ seconds: Int) throws(ConfigValidationError) {
        guard timeoutRangeSeconds.contains(seconds) else { throw .timeoutOutOfRange(seconds) }
    }

    /// python3 handlers are `module.function`, split at the last '.', where the module may be a
    /// path (`path/to/mod`) or dotted (`pkg.mod`), as Lambda's Python runtime reads them. exec
    /// handlers are relative paths. Neither may leave the bundle.
    static func checkHandler(_ handler: String, runtime: FunctionRuntime) throws(ConfigValidationError) {
        func invalid(_ reason: String) -> ConfigValidationError {
            .invalidHandler(handler, runtime: runtime, reason: reason)
        }
        guard !handler.isEmpty else { throw invalid("must not be empty") }
        guard handler.count <= maxHandlerLength else { throw .handlerTooLong(handler) }
        guard !handler.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0 == "\0" }) else {
            throw invalid("must not contain whitespace")
        }
        switch runtime {
        case .python3:
            guard let dot = handler.lastIndex(of: ".") else {
                throw invalid("must be module.function, for example app.handler")
            }
            let module = handler[..<dot]
            let function = handler[handler.index(after: dot)...]
            guard !module.isEmpty else { throw invalid("has no module before the last '.'") }
            guard isPythonIdentifier(function) else {
                throw invalid("does not end in a Python function name after the last '.'")
            }
            guard !module.hasPrefix("/"), !module.split(separator: "/").contains("..") else {
                throw invalid("must name a module inside the bundle")
            }
        case .exec:
            guard !handler.hasPrefix("/") else { throw invalid("must be a path relative to the bundle") }
            guard !handler.split(separator: "/").contains("..") else { throw invalid("must stay inside the bundle") }
        }
    }

    /// Lambda's rules: key names, reserved keys, then 4 KB of compact JSON for the whole map.
    static func checkEnvironment(_ environment: [String: String]) throws(ConfigValidationError) {
        for key in environment.keys.sorted() where !isEnvironmentKey(key) {
            throw .invalidEnvironmentKey(key)
        }
        for (key, value) in environment.sorted(by: { $0.key < $1.key }) where value.utf8.contains(0) {
            throw .invalidEnvironmentValue(key: key, reason: "contains a NUL byte")
        }
        let reserved = environment.keys.filter(reservedEnvironmentKeys.contains).sorted()
        guard reserved.isEmpty else { throw .reservedEnvironmentKeys(reserved) }
        let measured = compactJSON(environment)
        guard measured.utf8.count <= maxEnvironmentBytes else { throw .environmentTooLarge(measured: measured) }
    }

    /// Checks each mount's paths, and with `onHost` that each source is an existing directory.
    /// `firstIndex` numbers the mounts in messages when they are a slice of a longer list.
    static func checkMounts(_ mounts: [FunctionMount], onHost: Bool, firstIndex: Int = 0) throws(ConfigValidationError) {
        var targets: Set<String> = []
        for (offset, mount) in mounts.enumerated() {
            let index = firstIndex + offset
            guard mount.source.hasPrefix("/"), !mount.source.utf8.contains(0) else {
                throw .mountSourceNotAbsolute(index: index, source: mount.source)
            }
            try checkMountTarget(mount.target, index: index)
            guard targets.insert(mount.target).inserted else {
                throw .duplicateMountTarget(index: index, target: mount.target)
            }
            if onHost { try checkMountSourceOnHost(mount.source, index: index) }
        }
    }

    static func checkMountSourceOnHost(_ source: String, index: Int) throws(ConfigValidationError) {
        var st = stat()
        guard stat(source, &st) == 0 else { throw .mountSourceMissing(index: index, source: source) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .mountSourceNotADirectory(index: index, source: source) }
    }

    private static func checkMountTarget(_ target: String, index: Int) throws(ConfigValidationError) {
        func invalid(_ reason: String) -> ConfigValidationError {
            .invalidMountTarget(index: index, target: target, reason: reason)
        }
        guard target.hasPrefix(mountRoot + "/"), target.count > mountRoot.count + 1 else {
            throw invalid("must be under \(mountRoot)/ (for example \(mountRoot)/data)")
        }
        guard !target.utf8.contains(0) else { throw invalid("must not contain a NUL byte") }
        let below = target.dropFirst(mountRoot.count + 1).split(separator: "/", omittingEmptySubsequences: false)
        for component in below {
            if component == ".." { throw invalid("must not contain '..'") }
            if component.isEmpty || component == "." { throw invalid("must be a plain path (no empty or '.' components)") }
        }
    }

    /// The environment as Lambda measures it: compact JSON, keys sorted so the text is stable.
    static func compactJSON(_ environment: [String: String]) -> String {
        var out = "{"
        for (i, (key, value)) in environment.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out += "," }
            out += jsonString(key) + ":" + jsonString(value)
        }
        return out + "}"
    }

    private static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case ..<" ":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func isEnvironmentKey(_ key: String) -> Bool {
        guard let first = key.utf8.first, isLetter(first) else { return false }
        return key.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") }
    }

    static func isPythonIdentifier(_ s: Substring) -> Bool {
        guard let first = s.utf8.first, isLetter(first) || first == UInt8(ascii: "_") else { return false }
        return s.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") }
    }

    private static func isLetter(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
    }

    private static func isAlphanumeric(_ c: UInt8) -> Bool {
        isLetter(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
    }
}
