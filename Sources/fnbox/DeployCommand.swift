import ArgumentParser
import FnboxClient
import Foundation
import SystemPackage

/// `fnbox deploy`: CreateFunction, or UpdateFunctionCode + UpdateFunctionConfiguration.
struct DeployCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy a bundle to fnboxd, creating the function or updating its code and settings.",
        discussion: """
            Reads the bundle as `fnbox run` does (fnbox.toml, else the handler it finds) and uploads \
            it: a directory is zipped, a .zip is sent as it is. python3 bundles run as Lambda's \
            python3.11 (the system Python), exec bundles as provided.al2023. Deploying a function that \
            exists replaces its code and every setting, and retires its warm instances.

              fnbox deploy examples/hello
              fnbox deploy ./build/my-function.zip --name orders
            """
    )

    @Argument(help: "A bundle: a directory or a .zip, with an optional fnbox.toml.")
    var bundle: String

    @Option(help: "The function's name (default: fnbox.toml's name, else the bundle's file name).")
    var name: String?

    @OptionGroup var client: ClientOptions

    func run() throws {
        let deployment: FunctionDeployment
        do {
            deployment = try FunctionDeployment(bundle: FilePath(bundle), name: name)
        } catch {
            throw fail("\(error)", status: 2)
        }
        for setting in deployment.notDeployed {
            FileHandle.standardError.write(Data("fnbox: warning: not deployed, fnboxd has no setting for it: \(setting)\n".utf8))
        }
        let deployed = try client.call { fnboxd throws(FnboxClientError) in try fnboxd.deploy(deployment) }
        if client.json { return client.printJSON(deployed.json) }
        let c = deployed.configuration
        print("""
            \(deployed.created ? "created" : "updated") \(c.FunctionName): \(c.Runtime) \(c.Handler), \(c.MemorySize) MB, \
            \(c.Timeout) s, code \(c.CodeSize) bytes (sha256 \(c.CodeSha256))
            """)
    }
}
