import ArgumentParser
import FnboxClient
import FnboxRuntime
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `fnbox invoke`: Lambda's Invoke (RequestResponse, or Event with --async) through fnboxd.
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
              fnbox invoke resize --async --event '{"key": "photo.jpg"}'

            With --async the call is Lambda's Event invocation: fnboxd stores the event durably, \
            answers at once, and runs it later with retries; the request id is printed.
            """
    )

    @Argument(help: "The function's name.")
    var name: String

    @OptionGroup var event: EventOptions

    @Flag(help: "Print the call's log (its last 4 KB, with the REPORT line) on stderr.")
    var log = false

    @Flag(name: .customLong("async"), help: "Queue the call (Lambda's Event invocation) and print its request id.")
    var async = false

    @OptionGroup var client: ClientOptions

    func validate() throws {
        if async && log { throw ValidationError("--log needs a synchronous call: Lambda returns no log for --async") }
    }

    func run() throws {
        let payload = try event.read()
        if async {
            let requestID = try client.call { fnboxd throws(FnboxClientError) in try fnboxd.invokeAsync(name, payload: payload) }
            if client.json {
                client.printJSON(Array("{\"StatusCode\":202,\"RequestId\":\(JSONText.quote(requestID))}".utf8))
            } else {
                print("queued \(requestID)")
            }
            return
        }
        let result = try client.call { fnboxd throws(FnboxClientError) in try fnboxd.invoke(name, payload: payload, tail: log) }
        if log, let text = result.log {
            FileHandle.standardError.write(Data((text.hasSuffix("\n") || text.isEmpty ? text : text + "\n").utf8))
        }
        FileHandle.standardOutput.write(Data(result.payload))
        if isatty(1) == 1 { FileHandle.standardOutput.write(Data("\n".utf8)) }
        if result.functionError != nil { throw ExitCode(1) }
    }
}
