import ArgumentParser
import FnboxRuntime
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where an invocation's event comes from: `--event`, `--event-file`, else stdin when it is not
/// a terminal, else `{}`. Shared by `fnbox run` and `fnbox invoke`.
struct EventOptions: ParsableArguments {
    @Option(help: "The event as JSON.")
    var event: String?

    @Option(name: .customLong("event-file"), help: "Read the event from a file.")
    var eventFile: String?

    func validate() throws {
        if event != nil && eventFile != nil {
            throw ValidationError("give --event or --event-file, not both")
        }
    }

    /// The event's bytes, checked to be JSON; blank input is `{}`.
    /// - Throws: `ExitCode` 2 after printing which source is unreadable or not JSON.
    func read() throws(ExitCode) -> [UInt8] {
        var bytes: [UInt8]
        if let event {
            bytes = Array(event.utf8)
        } else if let eventFile {
            guard let data = FileManager.default.contents(atPath: eventFile) else {
                throw fail("--event-file '\(eventFile)': cannot read it", status: 2)
            }
            bytes = Array(data)
        } else if isatty(0) == 0 {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        } else {
            bytes = Array("{}".utf8)
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            bytes = Array("{}".utf8)
        }
        guard JSONText.isValidJSON(bytes) else {
            let source = eventFile.map { "--event-file '\($0)'" } ?? (event != nil ? "--event" : "stdin")
            throw fail("\(source): the event is not valid JSON", status: 2)
        }
        return bytes
    }
}
