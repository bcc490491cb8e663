import FnboxAPI
import FnboxRuntime
import Foundation
import GRDB

/// One deployed function as the store keeps it.
struct FunctionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "function"

    var name: String
    /// Lambda's runtime name (`python3.12`, `provided.al2023`).
    var runtime: String
    var role: String
    var handler: String
    var description: String
    var memoryMB: Int
    var timeoutSeconds: Int
    /// JSON of the environment map.
    var environmentJSON: String
    var codeSha256Hex: String
    var codeSha256Base64: String
    var codeSize: Int
    /// New on every change; the warm pool keys instances by it.
    var revisionID: String
    var lastModified: String
    var reservedConcurrency: Int?

    var environment: [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(environmentJSON.utf8))) ?? [:]
    }

    static func encodeEnvironment(_ env: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(env)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The runtime's config for an instance.
    func functionConfig() throws(LambdaError) -> FunctionConfig {
        let kind = try Self.runtimeKind(runtime)
        return FunctionConfig(
            name: name, runtime: kind, handler: kind == .exec ? "bootstrap" : handler,
            memoryMB: memoryMB, timeoutSeconds: timeoutSeconds, environment: environment)
    }

    static func runtimeKind(_ runtime: String) throws(LambdaError) -> FunctionRuntime {
        if runtime.hasPrefix("python3.") { return .python3 }
        if runtime.hasPrefix("provided") { return .exec }
        throw .invalidParameter(
            "Value \(runtime) at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
                + "[python3.9, python3.10, python3.11, python3.12, python3.13, python3.14, provided, provided.al2, provided.al2023] or be a valid ARN")
    }

    func configuration(arn: String) -> FunctionConfiguration {
        FunctionConfiguration(
            FunctionName: name, FunctionArn: arn, Runtime: runtime, Role: role, Handler: handler,
            CodeSize: codeSize, CodeSha256: codeSha256Base64, Description: description, Timeout: timeoutSeconds,
            MemorySize: memoryMB, LastModified: lastModified, Environment: environment, RevisionId: revisionID)
    }

    /// `2020-04-10T19:06:32.563+0000`
    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
        return formatter.string(from: date)
    }
}
