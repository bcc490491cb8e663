import FnboxRuntime
import Foundation
import Testing

@Suite("FunctionConfig.validate()")
struct FunctionConfigValidationTests {
    static let good = FunctionConfig(name: "hello", runtime: .python3, handler: "app.handler")

    @Test("a config with Lambda's defaults is valid")
    func defaults() throws {
        try Self.good.validate()
        #expect(Self.good.memoryMB == 128)
        #expect(Self.good.timeoutSeconds == 3)
    }

    @Test("the edges of every range are valid", arguments: [(128, 1), (10_240, 900)])
    func edges(memory: Int, timeout: Int) throws {
        var config = Self.good
        config.memoryMB = memory
        config.timeoutSeconds = timeout
        config.name = String(repeating: "a", count: 64)
        try config.validate()
    }

    static func with(_ change: (inout FunctionConfig) -> Void) -> FunctionConfig {
        var config = good
        change(&config)
        return config
    }

    /// Each bad config, with Lambda's exception name and message for it.
    static let badConfigs: [(FunctionConfig, String, String)] = [
        (with { $0.memoryMB = 64 }, "ValidationException",
         "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128"),
        (with { $0.memoryMB = 20_000 }, "ValidationException",
         "1 validation error detected: Value '20000' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240"),
        (with { $0.timeoutSeconds = 0 }, "ValidationException",
         "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        (with { $0.name = String(repeating: "n", count: 65) }, "InvalidParameterValueException",
         "1 validation error detected: Value '\(String(repeating: "n", count: 65))' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64"),
        (with { $0.environment = ["AWS_REGION": "x", "AWS_SESSION_TOKEN": "y"] }, "InvalidParameterValueException",
         "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION, AWS_SESSION_TOKEN"),
        (with { $0.environment = ["9LIVES": "x"] }, "ValidationException",
         "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"),
    ]

    @Test("a bad config is refused with Lambda's exception and message", arguments: badConfigs)
    func lambdaWording(config: FunctionConfig, type: String, message: String) throws {
        let error = try #require(throws: ConfigValidationError.self) { try config.validate() }
        #expect(error.lambdaErrorType == type)
        #expect(error.lambdaMessage == message)
    }

    @Test("a bad function name gets Lambda's regular-expression message")
    func badName() throws {
        let error = try #require(throws: ConfigValidationError.self) { try Self.with { $0.name = "a.b" }.validate() }
        #expect(error == .invalidName("a.b"))
        #expect(error.lambdaErrorType == "ValidationException")
        #expect(error.lambdaMessage.hasPrefix("1 validation error detected: Value 'a.b' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: "))
    }

    @Test("the environment limit is 4096 bytes of compact JSON, escapes included")
    func environmentSize() throws {
        // {"K":"…"} is 8 bytes around the value; a '"' in the value costs two bytes once escaped.
        try Self.with { $0.environment = ["K": String(repeating: "v", count: 4088)] }.validate()
        try Self.with { $0.environment = ["K": String(repeating: "\"", count: 2044)] }.validate()
        let error = try #require(throws: ConfigValidationError.self) {
            try Self.with { $0.environment = ["K": String(repeating: "\"", count: 2045)] }.validate()
        }
        guard case .environmentTooLarge(let measured) = error else {
            Issue.record("expected environmentTooLarge, got \(error)")
            return
        }
        #expect(measured.utf8.count == 4098)
        #expect(measured.hasPrefix(#"{"K":"\"\""#))
        #expect(error.lambdaMessage.hasPrefix("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {\"K\":"))
    }

    @Test("python handlers need module.function; exec handlers a relative path inside the bundle",
          arguments: [
              ("app", FunctionRuntime.python3, false), (".handler", .python3, false), ("app.", .python3, false),
              ("app.1x", .python3, false), ("../app.handler", .python3, false), ("/abs/app.handler", .python3, false),
              ("app handler.x", .python3, false), ("app.handler", .python3, true), ("path/to/mod.handler", .python3, true),
              ("pkg.mod.handler", .python3, true), ("bootstrap", .exec, true), ("bin/server", .exec, true),
              ("/bin/sh", .exec, false), ("../bootstrap", .exec, false), ("bin/../../x", .exec, false), ("", .exec, false),
          ])
    func handlers(handler: String, runtime: FunctionRuntime, valid: Bool) {
        let config = FunctionConfig(name: "f", runtime: runtime, handler: handler)
        let accepted = (try? config.validate()) != nil
        #expect(accepted == valid, "\(runtime) handler '\(handler)'")
    }

    @Test("a mount source must exist on this host and be a directory")
    func mountSources() throws {
        try Self.with { $0.mounts = [FunctionMount(source: "/tmp", target: "/mnt/tmp")] }.validate()
        let missing = try #require(throws: ConfigValidationError.self) {
            try Self.with { $0.mounts = [FunctionMount(source: "/nonexistent/fnbox", target: "/mnt/x")] }.validate()
        }
        #expect(missing.description == "mount[0].source: '/nonexistent/fnbox' does not exist")
        let notDirectory = try #require(throws: ConfigValidationError.self) {
            try Self.with { $0.mounts = [FunctionMount(source: "/etc/passwd", target: "/mnt/x")] }.validate()
        }
        #expect(notDirectory.description == "mount[0].source: '/etc/passwd' is not a directory")
    }

    @Test("FunctionConfig round-trips through JSON")
    func codable() throws {
        let config = Self.with {
            $0.environment = ["A": "1"]
            $0.mounts = [FunctionMount(source: "/srv", target: "/mnt/srv", readOnly: false)]
        }
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(FunctionConfig.self, from: data) == config)
    }
}
