import TOMLKit

/// The settings a `fnbox.toml` gives. Every field is optional: what is missing comes from
/// overrides, inference or Lambda's defaults.
public struct Manifest: Sendable, Equatable {
    public var name: String?
    public var runtime: FunctionRuntime?
    public var handler: String?
    public var memoryMB: Int?
    public var timeoutSeconds: Int?
    public var environment: [String: String]
    public var mounts: [FunctionMount]

    public init(
        name: String? = nil,
        runtime: FunctionRuntime? = nil,
        handler: String? = nil,
        memoryMB: Int? = nil,
        timeoutSeconds: Int? = nil,
        environment: [String: String] = [:],
        mounts: [FunctionMount] = []
    ) {
        self.name = name
        self.runtime = runtime
        self.handler = handler
        self.memoryMB = memoryMB
        self.timeoutSeconds = timeoutSeconds
        self.environment = environment
        self.mounts = mounts
    }
}

/// Reads `fnbox.toml`:
/// ```toml
/// name = "hello"
/// runtime = "python3"        # or "exec"
/// handler = "app.handler"
/// memory = 128               # MB
/// timeout = 3                # seconds
/// [env]
/// GREETING = "hi"
/// [[mount]]
/// source = "/srv/data"
/// target = "/mnt/data"
/// read_only = true
/// ```
public enum ManifestParser {
    /// The name fnbox looks for at the root of a bundle.
    public static let fileName = "fnbox.toml"

    static let topLevelKeys = ["name", "runtime", "handler", "memory", "timeout", "env", "mount"]
    static let mountKeys = ["source", "target", "read_only"]

    /// Parses and checks a manifest on its own: TOML syntax, known keys, value types, and each
    /// value against Lambda's rules. Rules that need the bundle or the merged settings (an exec
    /// handler exists, mount sources exist on this host) are left to `FunctionBundle.open`.
    /// - Parameters:
    ///   - text: the manifest's contents.
    ///   - file: the name to put in messages, normally `fnbox.toml`.
    /// - Throws: `BundleError.manifestParse`, `.unknownKey`, `.wrongType` or `.invalidField`, each
    ///   naming `file` and the field.
    public static func parse(_ text: String, file: String = fileName) throws(BundleError) -> Manifest {
        if text.utf8.contains(0) {
            // TOMLKit hands the text to C as a C string, which would end at the NUL.
            throw .manifestParse(file: file, line: nil, message: "the file contains a NUL byte")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let line = error.source.begin.line
            throw .manifestParse(file: file, line: line > 0 ? line : nil, message: error.description)
        } catch {
            throw .manifestParse(file: file, line: nil, message: String(describing: error))
        }

        let fields = Fields(file: file)
        try fields.refuseUnknownKeys(in: table, allowed: topLevelKeys, prefix: "")
        var manifest = Manifest()
        manifest.name = try fields.string(table, "name")
        if let runtime = try fields.string(table, "runtime") {
            guard let value = FunctionRuntime(rawValue: runtime) else {
                let known = FunctionRuntime.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
                throw .invalidField(file: file, field: "runtime", message: "'\(runtime)' is not supported (use \(known))")
            }
            manifest.runtime = value
        }
        manifest.handler = try fields.string(table, "handler")
        manifest.memoryMB = try fields.int(table, "memory")
        manifest.timeoutSeconds = try fields.int(table, "timeout")
        manifest.environment = try fields.environment(table)
        manifest.mounts = try fields.mounts(table)

        try check(manifest, file: file)
        return manifest
    }

    /// Checks each field that is set against the rules that need nothing else.
    /// A handler is checked only when the same settings give its runtime.
    static func check(_ manifest: Manifest, file: String) throws(BundleError) {
        do {
            if let name = manifest.name { try FunctionConfig.checkName(name) }
            if let handler = manifest.handler, let runtime = manifest.runtime {
                try FunctionConfig.checkHandler(handler, runtime: runtime)
            }
            if let memory = manifest.memoryMB { try FunctionConfig.checkMemory(memory) }
            if let timeout = manifest.timeoutSeconds { try FunctionConfig.checkTimeout(timeout) }
            try FunctionConfig.checkEnvironment(manifest.environment)
            try FunctionConfig.checkMounts(manifest.mounts, onHost: false)
        } catch {
            throw .invalidField(file: file, field: error.field, message: error.message)
        }
    }
}

/// Typed reads from a TOML table, each failure naming the file and the field.
private struct Fields {
    let file: String

    func refuseUnknownKeys(in table: TOMLTable, allowed: [String], prefix: String) throws(BundleError) {
        for key in table.keys.sorted() where !allowed.contains(key) {
            throw .unknownKey(file: file, key: prefix + key, suggestion: Self.closest(to: key, in: allowed))
        }
    }

    func string(_ table: TOMLTable, _ key: String, field: String? = nil) throws(BundleError) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else { throw wrongType(field ?? key, "a string", value) }
        return string
    }

    func int(_ table: TOMLTable, _ key: String) throws(BundleError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let int = value.int else { throw wrongType(key, "an integer", value) }
        return int
    }

    func bool(_ table: TOMLTable, _ key: String, field: String) throws(BundleError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let bool = value.bool else { throw wrongType(field, "a boolean", value) }
        return bool
    }

    func environment(_ table: TOMLTable) throws(BundleError) -> [String: String] {
        guard let value = table["env"] else { return [:] }
        guard let env = value.table else { throw wrongType("env", "a table", value) }
        var out: [String: String] = [:]
        for key in env.keys {
            out[key] = try string(env, key, field: "env.\(key)")
        }
        return out
    }

    func mounts(_ table: TOMLTable) throws(BundleError) -> [FunctionMount] {
        guard let value = table["mount"] else { return [] }
        guard let array = value.array else { throw wrongType("mount", "an array of tables ([[mount]])", value) }
        var out: [FunctionMount] = []
        for (index, element) in array.enumerated() {
            let field = "mount[\(index)]"
            guard let mount = element.table else { throw wrongType(field, "a table", element) }
            try refuseUnknownKeys(in: mount, allowed: ManifestParser.mountKeys, prefix: field + ".")
            guard let source = try string(mount, "source", field: field + ".source") else {
                throw .invalidField(file: file, field: field + ".source", message: "is required")
            }
            guard let target = try string(mount, "target", field: field + ".target") else {
                throw .invalidField(file: file, field: field + ".target", message: "is required")
            }
            let readOnly = try bool(mount, "read_only", field: field + ".read_only") ?? true
            out.append(FunctionMount(source: source, target: target, readOnly: readOnly))
        }
        return out
    }

    private func wrongType(_ field: String, _ expected: String, _ value: any TOMLValueConvertible) -> BundleError {
        .wrongType(file: file, field: field, expected: expected, got: Self.describe(value.type))
    }

    private static func describe(_ type: TOMLType) -> String {
        switch type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a float"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .date: "a date"
        case .time: "a time"
        case .dateTime: "a date-time"
        }
    }

    /// The allowed key a typo most likely meant: within two edits, as `memroy` is of `memory`.
    private static func closest(to key: String, in allowed: [String]) -> String? {
        let scored = allowed.map { ($0, editDistance(Array(key.lowercased().utf8), Array($0.utf8))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= 2 else { return nil }
        return best.0
    }

    /// Optimal string alignment distance: Levenshtein plus swapping two neighbours.
    private static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
