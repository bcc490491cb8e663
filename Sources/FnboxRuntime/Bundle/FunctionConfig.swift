/// How a function's code is started inside the sandbox.
public enum FunctionRuntime: String, Sendable, Codable, CaseIterable {
    /// A Python module and function, `module.function`, run by the Python bootstrap in `rootfs/`.
    case python3
    /// An executable in the bundle (Lambda's `provided` runtimes: `bootstrap`).
    case exec
}

/// A host directory made visible to the function, like Lambda's file system config.
public struct FunctionMount: Sendable, Equatable, Codable {
    /// Absolute host path; it must exist and be a directory.
    public var source: String
    /// Where the function sees it: under `/mnt`, never `/mnt` itself.
    public var target: String
    /// Mounted read-only unless set to `false`.
    public var readOnly: Bool

    public init(source: String, target: String, readOnly: Bool = true) {
        self.source = source
        self.target = target
        self.readOnly = readOnly
    }
}

/// Everything fnbox needs to know to run a function, after the manifest, the defaults and any
/// overrides have been merged. `validate()` checks it with Lambda's rules.
public struct FunctionConfig: Sendable, Equatable, Codable {
    public var name: String
    public var runtime: FunctionRuntime
    /// python3: `module.function` (the module may be `path/to/mod`); exec: a path relative to the bundle.
    public var handler: String
    public var memoryMB: Int
    public var timeoutSeconds: Int
    public var environment: [String: String]
    public var mounts: [FunctionMount]

    public init(
        name: String,
        runtime: FunctionRuntime,
        handler: String,
        memoryMB: Int = FunctionConfig.defaultMemoryMB,
        timeoutSeconds: Int = FunctionConfig.defaultTimeoutSeconds,
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

extension FunctionConfig {
    /// Lambda's default memory size, in MB.
    public static let defaultMemoryMB = 128
    /// Lambda's memory range for ordinary functions, in MB (1 MB steps).
    public static let memoryRangeMB = 128...10_240
    /// Lambda's default timeout, in seconds.
    public static let defaultTimeoutSeconds = 3
    /// Lambda's timeout range, in seconds.
    public static let timeoutRangeSeconds = 1...900
    /// Longest function name Lambda accepts.
    public static let maxNameLength = 64
    /// Longest handler Lambda accepts.
    public static let maxHandlerLength = 128
    /// Lambda's limit on the environment, measured on the compact JSON of the map.
    public static let maxEnvironmentBytes = 4096
    /// Mount targets must live below this directory.
    public static let mountRoot = "/mnt"

    /// Keys Lambda sets itself and refuses in a function's configuration.
    public static let reservedEnvironmentKeys: Set<String> = [
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
        "_HANDLER", "_X_AMZN_TRACE_ID",
    ]
}
