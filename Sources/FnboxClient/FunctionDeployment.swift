import FnboxAPI
import FnboxRuntime
import Foundation
import SystemPackage

/// A bundle ready to upload: its settings, as Lambda names them, and its zip.
public struct FunctionDeployment: Sendable {
    public var name: String
    /// Lambda's runtime name, from `lambdaRuntime(for:)`.
    public var runtime: String
    public var handler: String
    public var memoryMB: Int
    public var timeoutSeconds: Int
    public var environment: [String: String]
    public var zip: [UInt8]
    /// Manifest settings fnboxd will not apply (`[[mount]]`; an exec handler other than
    /// `bootstrap`), for a warning.
    public var notDeployed: [String]

    public init(
        name: String, runtime: String, handler: String, memoryMB: Int, timeoutSeconds: Int,
        environment: [String: String], zip: [UInt8], notDeployed: [String] = []
    ) {
        self.name = name
        self.runtime = runtime
        self.handler = handler
        self.memoryMB = memoryMB
        self.timeoutSeconds = timeoutSeconds
        self.environment = environment
        self.zip = zip
        self.notDeployed = notDeployed
    }

    /// Reads a bundle the way `fnbox run` does (`FunctionBundle.open`: manifest, inference,
    /// validation) and packs it: a directory is zipped in memory, a .zip is sent as it is.
    /// - Parameters:
    ///   - path: a directory or a .zip.
    ///   - name: the function's name, over the manifest's.
    /// - Throws: `BundleError`, naming the file and field at fault.
    public init(bundle path: FilePath, name: String? = nil) throws(BundleError) {
        let bundle = try FunctionBundle.open(path, overrides: ConfigOverrides(name: name))
        defer { bundle.removeTemporaryFiles() }
        let zip: [UInt8]
        if bundle.isTemporary {
            do {
                zip = Array(try Data(contentsOf: URL(fileURLWithPath: path.string)))
            } catch {
                throw .packingFailed(path: path, reason: "\(error)")
            }
        } else {
            zip = try BundleArchiver.zip(directory: bundle.root)
        }
        let config = bundle.config
        var notDeployed = config.mounts.map { "mount \($0.source) -> \($0.target)" }
        if config.runtime == .exec && config.handler != "bootstrap" {
            // fnbox run executes an exec handler by its path; fnboxd, like Lambda's provided
            // runtimes, always starts the bundle's `bootstrap`.
            notDeployed.append("handler \(config.handler) (fnboxd starts the bundle's bootstrap, as Lambda's provided runtimes do)")
        }
        self.init(
            name: config.name, runtime: Self.lambdaRuntime(for: config.runtime), handler: config.handler,
            memoryMB: config.memoryMB, timeoutSeconds: config.timeoutSeconds, environment: config.environment, zip: zip,
            notDeployed: notDeployed)
    }

    /// The Lambda runtime fnboxd runs a bundle's runtime with: `python3` is the system Python
    /// (Debian 12's 3.11, the version `AWS_EXECUTION_ENV` names), `exec` is Lambda's OS-only runtime.
    public static func lambdaRuntime(for runtime: FunctionRuntime) -> String {
        switch runtime {
        case .python3: "python3.11"
        case .exec: "provided.al2023"
        }
    }

    var zipBase64: String { Data(zip).base64EncodedString() }

    var createRequest: CreateFunctionRequest {
        CreateFunctionRequest(
            FunctionName: name, Runtime: runtime, Role: nil, Handler: handler, Code: .init(ZipFile: zipBase64),
            Timeout: timeoutSeconds, MemorySize: memoryMB, Environment: .init(Variables: environment))
    }

    var configurationRequest: UpdateFunctionConfigurationRequest {
        UpdateFunctionConfigurationRequest(
            Runtime: runtime, Handler: handler, Timeout: timeoutSeconds, MemorySize: memoryMB,
            Environment: .init(Variables: environment))
    }
}
