import FnboxSystem
import Foundation
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Runs one invocation in a fresh sandbox: what `fnbox run` does.
public enum FunctionRunner {
    /// Starts an instance, runs one call, destroys the instance. Blocking.
    /// - Throws: `InstanceError` when the sandbox cannot be built (fnbox's failure, not the function's).
    public static func runOnce(
        config: FunctionConfig, bundleRoot: FilePath, request: InvocationRequest, options: InstanceOptions
    ) throws(InstanceError) -> InvocationResult {
        ignoreSIGPIPE()
        let instance = try InstanceFactory.start(config: config, bundleRoot: bundleRoot, options: options)
        defer { instance.destroy() }
        return instance.invoke(request)
    }

    /// Writes to a pipe whose reader died must fail with EPIPE, not kill fnbox.
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}
