/// A function setting that breaks one of Lambda's rules.
///
/// Each case speaks two ways: `description` is fnbox's wording with the manifest's field name
/// (`memory: 64 is out of range (128–10240 MB)`), and `lambdaErrorType` plus `lambdaMessage` are
/// what Lambda answers for the same mistake, for the daemon to send back unchanged.
public enum ConfigValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidName(String)
    case nameTooLong(String)
    case memoryOutOfRange(Int)
    case timeoutOutOfRange(Int)
    case invalidHandler(String, runtime: FunctionRuntime, reason: String)
    case handlerTooLong(String)
    case invalidEnvironmentKey(String)
    case invalidEnvironmentValue(key: String, reason: String)
    case reservedEnvironmentKeys([String])
    /// `measured` is the compact JSON Lambda measures, as its message quotes it.
    case environmentTooLarge(measured: String)
    case mountSourceNotAbsolute(index: Int, source: String)
    case mountSourceMissing(index: Int, source: String)
    case mountSourceNotADirectory(index: Int, source: String)
    case invalidMountTarget(index: Int, target: String, reason: String)
    case duplicateMountTarget(index: Int, target: String)

    /// The field as `fnbox.toml` spells it: `memory`, `env`, `mount[0].target`.
    public var field: String {
        switch self {
        case .invalidName, .nameTooLong: "name"
        case .memoryOutOfRange: "memory"
        case .timeoutOutOfRange: "timeout"
        case .invalidHandler, .handlerTooLong: "handler"
        case .invalidEnvironmentKey, .reservedEnvironmentKeys, .environmentTooLarge: "env"
        case .invalidEnvironmentValue(let key, _): "env.\(key)"
        case .mountSourceNotAbsolute(let index, _), .mountSourceMissing(let index, _),
             .mountSourceNotADirectory(let index, _):
            "mount[\(index)].source"
        case .invalidMountTarget(let index, _, _), .duplicateMountTarget(let index, _):
            "mount[\(index)].target"
        }
    }

    /// What is wrong with the field, without the field name.
    public var message: String {
        switch self {
        case .invalidName(let name):
            "'\(name)' may only contain letters, digits, '-' and '_'"
        case .nameTooLong(let name):
            "'\(name)' is \(name.count) characters; the limit is \(FunctionConfig.maxNameLength)"
        case .memoryOutOfRange(let mb):
            "\(mb) is out of range (\(Self.range(FunctionConfig.memoryRangeMB)) MB)"
        case .timeoutOutOfRange(let seconds):
            "\(seconds) is out of range (\(Self.range(FunctionConfig.timeoutRangeSeconds)) seconds)"
        case .invalidHandler(let handler, _, let reason):
            "'\(handler)' \(reason)"
        case .handlerTooLong(let handler):
            "'\(handler)' is \(handler.count) characters; the limit is \(FunctionConfig.maxHandlerLength)"
        case .invalidEnvironmentKey(let key):
            "'\(key)' is not a valid variable name (it must match [a-zA-Z][a-zA-Z0-9_]*)"
        case .invalidEnvironmentValue(_, let reason):
            reason
        case .reservedEnvironmentKeys(let keys):
            "\(keys.joined(separator: ", ")) \(keys.count == 1 ? "is" : "are") reserved by Lambda and cannot be set"
        case .environmentTooLarge(let measured):
            "\(measured.utf8.count) bytes as compact JSON; the limit is \(FunctionConfig.maxEnvironmentBytes)"
        case .mountSourceNotAbsolute(_, let source):
            "'\(source)' must be an absolute path"
        case .mountSourceMissing(_, let source):
            "'\(source)' does not exist"
        case .mountSourceNotADirectory(_, let source):
            "'\(source)' is not a directory"
        case .invalidMountTarget(_, let target, let reason):
            "'\(target)' \(reason)"
        case .duplicateMountTarget(_, let target):
            "'\(target)' is the target of another mount"
        }
    }

    public var description: String { "\(field): \(message)" }

    /// The exception name Lambda uses for this mistake (`X-Amzn-ErrorType`).
    public var lambdaErrorType: String {
        switch self {
        case .invalidName, .memoryOutOfRange, .timeoutOutOfRange, .handlerTooLong, .invalidEnvironmentKey:
            "ValidationException"
        default:
            "InvalidParameterValueException"
        }
    }

    /// Lambda's message for this mistake, word for word where Lambda has one (see LAMBDA.md §2.5).
    public var lambdaMessage: String {
        switch self {
        case .invalidName(let name):
            Self.constraint(value: name, at: "functionName",
                            "Member must satisfy regular expression pattern: "
                                + #"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?"#
                                + #"(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"#)
        case .nameTooLong(let name):
            Self.constraint(value: name, at: "functionName",
                            "Member must have length less than or equal to \(FunctionConfig.maxNameLength)")
        case .memoryOutOfRange(let mb):
            Self.constraint(value: String(mb), at: "memorySize", Self.bound(mb, FunctionConfig.memoryRangeMB))
        case .timeoutOutOfRange(let seconds):
            Self.constraint(value: String(seconds), at: "timeout", Self.bound(seconds, FunctionConfig.timeoutRangeSeconds))
        case .handlerTooLong(let handler):
            Self.constraint(value: handler, at: "handler",
                            "Member must have length less than or equal to \(FunctionConfig.maxHandlerLength)")
        case .invalidHandler(let handler, let runtime, let reason):
            "The handler '\(handler)' is not valid for runtime \(runtime.rawValue): it \(reason)."
        case .invalidEnvironmentKey:
            "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
                + "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"
        case .invalidEnvironmentValue(let key, let reason):
            "Lambda was unable to configure your environment variables: the value of \(key) \(reason)."
        case .reservedEnvironmentKeys(let keys):
            "Lambda was unable to configure your environment variables because the environment variables you have "
                + "provided contains reserved keys that are currently not supported for modification. "
                + "Reserved keys used in this request: \(keys.joined(separator: ", "))"
        case .environmentTooLarge(let measured):
            "Lambda was unable to configure your environment variables because the environment variables you have "
                + "provided exceeded the 4KB limit. String measured: \(measured)"
        case .mountSourceNotAbsolute, .mountSourceMissing, .mountSourceNotADirectory,
             .invalidMountTarget, .duplicateMountTarget:
            "The file system configuration is not valid: \(description)."
        }
    }

    private static func constraint(value: String, at member: String, _ rule: String) -> String {
        "1 validation error detected: Value '\(value)' at '\(member)' failed to satisfy constraint: \(rule)"
    }

    private static func bound(_ value: Int, _ range: ClosedRange<Int>) -> String {
        value < range.lowerBound
            ? "Member must have value greater than or equal to \(range.lowerBound)"
            : "Member must have value less than or equal to \(range.upperBound)"
    }

    private static func range(_ range: ClosedRange<Int>) -> String {
        "\(range.lowerBound)–\(range.upperBound)"
    }
}
