/// `CreateFunction`'s body (LAMBDA.md §2.2); fields fnbox ignores are not decoded.
public struct CreateFunctionRequest: Codable, Sendable {
    public struct Code: Codable, Sendable {
        /// base64 of the zip.
        public var ZipFile: String?
        public init(ZipFile: String?) { self.ZipFile = ZipFile }
    }
    public struct EnvironmentRequest: Codable, Sendable {
        public var Variables: [String: String]?
        public init(Variables: [String: String]?) { self.Variables = Variables }
    }
    public var FunctionName: String
    public var Runtime: String?
    public var Role: String?
    public var Handler: String?
    public var Code: Code
    public var Description: String?
    public var Timeout: Int?
    public var MemorySize: Int?
    public var Environment: EnvironmentRequest?

    public init(
        FunctionName: String, Runtime: String?, Role: String?, Handler: String?, Code: Code,
        Description: String? = nil, Timeout: Int? = nil, MemorySize: Int? = nil, Environment: EnvironmentRequest? = nil
    ) {
        self.FunctionName = FunctionName
        self.Runtime = Runtime
        self.Role = Role
        self.Handler = Handler
        self.Code = Code
        self.Description = Description
        self.Timeout = Timeout
        self.MemorySize = MemorySize
        self.Environment = Environment
    }
}

/// `UpdateFunctionCode`'s body.
public struct UpdateFunctionCodeRequest: Codable, Sendable {
    public var ZipFile: String?
    public init(ZipFile: String?) { self.ZipFile = ZipFile }
}

/// `UpdateFunctionConfiguration`'s body.
public struct UpdateFunctionConfigurationRequest: Codable, Sendable {
    public var Runtime: String?
    public var Role: String?
    public var Handler: String?
    public var Description: String?
    public var Timeout: Int?
    public var MemorySize: Int?
    public var Environment: CreateFunctionRequest.EnvironmentRequest?

    public init(
        Runtime: String? = nil, Role: String? = nil, Handler: String? = nil, Description: String? = nil,
        Timeout: Int? = nil, MemorySize: Int? = nil, Environment: CreateFunctionRequest.EnvironmentRequest? = nil
    ) {
        self.Runtime = Runtime
        self.Role = Role
        self.Handler = Handler
        self.Description = Description
        self.Timeout = Timeout
        self.MemorySize = MemorySize
        self.Environment = Environment
    }
}

/// `PutFunctionConcurrency`'s body and answer.
public struct FunctionConcurrency: Codable, Sendable {
    public var ReservedConcurrentExecutions: Int
    public init(ReservedConcurrentExecutions: Int) { self.ReservedConcurrentExecutions = ReservedConcurrentExecutions }
}
