import FnboxAPI
import FnboxRuntime
import FnboxSystem
import Foundation
import SystemPackage

/// Uploaded code by content hash: `<state>/code/<sha256>.zip`, unpacked once into
/// `<state>/unpacked/<sha256>/` (0755, so the sandbox's uid can read it).
struct CodeStore: Sendable {
    struct StoredCode: Sendable {
        var sha256Hex: String
        var sha256Base64: String
        var size: Int
    }

    let stateDir: FilePath

    var codeDir: FilePath { stateDir.appending("code") }
    var unpackedDir: FilePath { stateDir.appending("unpacked") }

    func prepareDirectories() throws {
        for dir in [stateDir, codeDir, unpackedDir] {
            try FileManager.default.createDirectory(atPath: dir.string, withIntermediateDirectories: true)
            chmod(dir.string, 0o755)
        }
    }

    func root(forSha256Hex hex: String) -> FilePath { unpackedDir.appending(hex) }

    /// Stores and unpacks `zip` (blocking). Hostile or broken archives throw `LambdaError`.
    func put(zip: [UInt8]) throws(LambdaError) -> StoredCode {
        let digest = SHA256.digest(zip)
        let hex = SHA256.hex(digest)
        let stored = StoredCode(sha256Hex: hex, sha256Base64: Data(digest).base64EncodedString(), size: zip.count)
        let root = root(forSha256Hex: hex)
        if FileManager.default.fileExists(atPath: root.string) { return stored }
        let unpacked: FilePath
        do {
            unpacked = try SafeZipExtractor.extract(zipBytes: zip, to: unpackedDir)
        } catch {
            throw Self.lambdaError(for: error)
        }
        let zipPath = codeDir.appending("\(hex).zip")
        guard FileManager.default.createFile(atPath: zipPath.string, contents: Data(zip)) else {
            try? FileManager.default.removeItem(atPath: unpacked.string)
            throw .service("cannot write \(zipPath)")
        }
        if rename(unpacked.string, root.string) != 0 {
            try? FileManager.default.removeItem(atPath: unpacked.string)
            if !FileManager.default.fileExists(atPath: root.string) {
                throw .service("rename '\(unpacked)' to '\(root)' failed: errno \(errno)")
            }
        }
        chmod(root.string, 0o755)
        return stored
    }

    static func lambdaError(for error: BundleError) -> LambdaError {
        switch error {
        case .zipTooLarge(_, let limit):
            return .tooLarge("Zipped size must be smaller than \(limit) bytes")
        case .unpackedSizeExceeded(let limit):
            return .invalidParameter("Unzipped size must be smaller than \(limit) bytes")
        case .notAZip:
            return .invalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
        case .readFailed, .temporaryDirectoryFailed, .extractionFailed:
            return .service("\(error)")
        default:
            return .invalidParameter("Could not unzip uploaded file: \(error)")
        }
    }
}
