/// Lambda's `FunctionConfiguration` (LAMBDA.md §2.3), as create/get/update return it.
public struct FunctionConfiguration: Codable, Sendable, Equatable {
    public struct EnvironmentResponse: Codable, Sendable, Equatable {
        public var Variables: [String: String]
        public init(Variables: [String: String]) { self.Variables = Variables }
    }
    public struct EphemeralStorage: Codable, Sendable, Equatable { public var Size: Int }
    public struct LoggingConfig: Codable, Sendable, Equatable {
        public var LogFormat: String
        public var LogGroup: String
    }
    public struct TracingConfig: Codable, Sendable, Equatable { public var Mode: String }
    public struct SnapStart: Codable, Sendable, Equatable {
        public var ApplyOn: String
        public var OptimizationStatus: String
    }

    public var FunctionName: String
    public var FunctionArn: String
    public var Runtime: String
    public var Role: String
    public var Handler: String
    public var CodeSize: Int
    public var CodeSha256: String
    public var Description: String
    public var Timeout: Int
    public var MemorySize: Int
    public var LastModified: String
    public var Version: String
    public var Environment: EnvironmentResponse?
    public var RevisionId: String
    public var PackageType: String
    public var Architectures: [String]
    public var EphemeralStorage: EphemeralStorage
    public var LoggingConfig: LoggingConfig
    public var TracingConfig: TracingConfig
    public var SnapStart: SnapStart
    public var State: String
    public var LastUpdateStatus: String

    public init(
        FunctionName: String, FunctionArn: String, Runtime: String, Role: String, Handler: String,
        CodeSize: Int, CodeSha256: String, Description: String, Timeout: Int, MemorySize: Int,
        LastModified: String, Environment: [String: String], RevisionId: String
    ) {
        self.FunctionName = FunctionName
        self.FunctionArn = FunctionArn
        self.Runtime = Runtime
        self.Role = Role
        self.Handler = Handler
        self.CodeSize = CodeSize
        self.CodeSha256 = CodeSha256
        self.Description = Description
        self.Timeout = Timeout
        self.MemorySize = MemorySize
        self.LastModified = LastModified
        self.Version = "$LATEST"
        self.Environment = Environment.isEmpty ? nil : EnvironmentResponse(Variables: Environment)
        self.RevisionId = RevisionId
        self.PackageType = "Zip"
        self.Architectures = ["x86_64"]
        self.EphemeralStorage = .init(Size: 512)
        self.LoggingConfig = .init(LogFormat: "Text", LogGroup: "/aws/lambda/\(FunctionName)")
        self.TracingConfig = .init(Mode: "PassThrough")
        self.SnapStart = .init(ApplyOn: "None", OptimizationStatus: "Off")
        self.State = "Active"
        self.LastUpdateStatus = "Successful"
    }
}

/// `GetFunction`'s body.
public struct GetFunctionResponse: Codable, Sendable {
    public struct Code: Codable, Sendable { public var RepositoryType: String; public var Location: String }
    public struct Concurrency: Codable, Sendable { public var ReservedConcurrentExecutions: Int }
    public var Configuration: FunctionConfiguration
    public var Code: Code
    public var Concurrency: Concurrency?

    public init(configuration: FunctionConfiguration, codeLocation: String, reservedConcurrency: Int?) {
        self.Configuration = configuration
        self.Code = .init(RepositoryType: "S3", Location: codeLocation)
        self.Concurrency = reservedConcurrency.map { .init(ReservedConcurrentExecutions: $0) }
    }
}

/// `ListFunctions`' body.
public struct ListFunctionsResponse: Codable, Sendable {
    public var Functions: [FunctionConfiguration]
    public var NextMarker: String?
    public init(Functions: [FunctionConfiguration], NextMarker: String? = nil) {
        self.Functions = Functions
        self.NextMarker = NextMarker
    }
}
