@testable import FnboxServer
import Foundation

/// Runs a program to its end on a thread of its own (the daemon under test shares this process's
/// cooperative pool); stdout and stderr together.
enum ChildProcess {
    static func run(_ executable: String, _ arguments: [String], stderr: Bool = true) async throws -> (status: Int32, output: String) {
        try await runBlockingThrowing { () throws -> (Int32, String) in
            let process = Process()
            let pipe = Pipe()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardOutput = pipe
            if stderr { process.standardError = pipe }
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }
}
