import ArgumentParser
import Foundation

// ArgumentParser exits 64 on a usage error; fnbox's contract is 2 (0 ok, 1 the function failed,
// 2 a usage error), so parse here and map it.
do {
    var command = try FnboxCommand.parseAsRoot()
    try command.run()
} catch {
    let code = FnboxCommand.exitCode(for: error)
    if code == .validationFailure {
        FileHandle.standardError.write(Data((FnboxCommand.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }
    FnboxCommand.exit(withError: error)
}
