import FnboxCgroups
import FnboxSystem
import SystemPackage

/// A live execution environment for one function: serves one invocation at a time.
public protocol FunctionInstance: AnyObject, Sendable {
    var config: FunctionConfig { get }
    /// False once the instance crashed, timed out, was OOM-killed or destroyed: never reuse it.
    var isReusable: Bool { get }
    /// The cgroup of the sandbox running now (Python: the instance's; exec: the current call's),
    /// for statistics and tests.
    var cgroup: SandboxCgroup? { get }
    /// Runs one invocation to completion (blocking; call off the cooperative pool).
    func invoke(_ request: InvocationRequest) -> InvocationResult
    /// Kills everything the instance started and removes its cgroup.
    func destroy()
    /// Kills the running sandbox from another thread (a signal handler's queue); the invoking
    /// thread sees the death, and its owner then calls `destroy`.
    func interrupt()
}

/// Starts the right kind of instance for a function.
public enum InstanceFactory {
    /// Starts an instance and, for Python, runs its init phase (interpreter start and import).
    /// Blocking: call off the cooperative pool.
    /// - Throws: `InstanceError` when the sandbox cannot be built (a fnbox failure, not the function's).
    public static func start(
        config: FunctionConfig, bundleRoot: FilePath, options: InstanceOptions
    ) throws(InstanceError) -> any FunctionInstance {
        FunctionRunner.ignoreSIGPIPE()
        switch config.runtime {
        case .python3:
            return try PythonInstance.start(config: config, bundleRoot: bundleRoot, options: options)
        case .exec:
            return ExecInstance(config: config, bundleRoot: bundleRoot, options: options)
        }
    }
}
