import ArgumentParser
import FnboxClient
import Foundation

/// The flags every command that talks to fnboxd shares.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "fnboxd's Unix socket.", discussion: "Default: $FNBOX_SOCKET when set, else \(FnboxClient.defaultSocketPath).",
        valueName: "path"))
    var socket: String?

    @Flag(help: "Print the daemon's JSON as it was sent, for scripts.")
    var json = false

    var socketPath: String { FnboxClient.socketPath(flag: socket) }

    /// Calls fnboxd; a failure prints `fnbox: <error>` (for the daemon's errors,
    /// `fnbox: <ErrorType>: <message>`) and exits 1.
    func call<T>(_ body: (FnboxClient) throws(FnboxClientError) -> T) throws(ExitCode) -> T {
        do {
            return try body(FnboxClient(socketPath: socketPath))
        } catch {
            throw fail("\(error)", status: 1)
        }
    }

    /// Writes the daemon's JSON, newline-terminated.
    func printJSON(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
