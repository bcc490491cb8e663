import ArgumentParser
import FnboxClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `fnbox invoke`: Lambda's Invoke (RequestResponse) through fnboxd.
struct InvokeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Invoke a deployed function through fnboxd and print its result.",
        discussion: """
            Prints the payload Invoke returns on stdout (with --json too: it is the daemon's JSON). \
            With --log, prints the call's log on stderr: Lambda's Tail, the last 4 KB, ending with \
            the REPORT line. Exit status: 0 success, 1 the function failed (X-Amz-Function-Error) or \
            fnboxd refused the call, 2 a usage error.

              fnbox invoke hello --event '{"name":"fnbox"}' --log
              echo '{"n": 3}' | fnbox invoke my-function
            """
    )

    @Argument(help: "The function's name.")
    var name: String

    @OptionGroup var event: EventOptions

    @Flag(help: "Print the call's log (its last 4 KB, with the REPORT line) on stderr.")
    var log = false

    @OptionGroup var client: ClientOptions

    func run() throws {
        let payload = try event.read()
        let result = try client.call { fnboxd throws(FnboxClientError) in try fnboxd.invoke(name, payload: payload, tail: log) }
        if log, let text = result.log {
            FileHandle.standardError.write(Data((text.hasSuffix("\n") || text.isEmpty ? text : text + "\n").utf8))
        }
        FileHandle.standardOutput.write(Data(result.payload))
        if isatty(1) == 1 { FileHandle.standardOutput.write(Data("\n".utf8)) }
        if result.functionError != nil { throw ExitCode(1) }
    }
}
