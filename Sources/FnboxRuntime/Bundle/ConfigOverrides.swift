/// Settings given outside the bundle (command-line flags, or a daemon request). Each one that is
/// set wins over `fnbox.toml`.
///
/// `environment` is merged key by key over the manifest's `[env]`. A mount replaces the manifest's
/// mount with the same target and is otherwise added.
public struct ConfigOverrides: Sendable {
    public var name: String?
    public var handler: String?
    public var runtime: FunctionRuntime?
    public var memoryMB: Int?
    public var timeoutSeconds: Int?
    public var environment: [String: String]
    public var mounts: [FunctionMount]
    /// Where these settings came from, used in error messages in place of a file name:
    /// `command line: memory: 64 is out of range (128–10240 MB)`.
    public var source: String

    public init(
        name: String? = nil,
        handler: String? = nil,
        runtime: FunctionRuntime? = nil,
        memoryMB: Int? = nil,
        timeoutSeconds: Int? = nil,
        environment: [String: String] = [:],
        mounts: [FunctionMount] = [],
        source: String = "command line"
    ) {
        self.name = name
        self.handler = handler
        self.runtime = runtime
        self.memoryMB = memoryMB
        self.timeoutSeconds = timeoutSeconds
        self.environment = environment
        self.mounts = mounts
        self.source = source
    }
}
