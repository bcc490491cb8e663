import ArgumentParser
import Foundation

/// Prints `fnbox: <message>` and exits with the given status (2 for usage errors, 1 for failures).
func fail(_ message: String, status: Int32) -> ExitCode {
    FileHandle.standardError.write(Data("fnbox: \(message)\n".utf8))
    return ExitCode(status)
}
