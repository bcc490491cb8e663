import Foundation

/// `DestinationConfig` of the event invoke config API (LAMBDA.md §3.1).
public struct DestinationConfig: Codable, Sendable, Equatable {
    public struct Target: Codable, Sendable, Equatable {
        public var Destination: String?
        public init(Destination: String? = nil) { self.Destination = Destination }
    }
    public var OnSuccess: Target?
    public var OnFailure: Target?
    public init(OnSuccess: Target? = nil, OnFailure: Target? = nil) {
        self.OnSuccess = OnSuccess
        self.OnFailure = OnFailure
    }
}

/// The body of `PutFunctionEventInvokeConfig` and `UpdateFunctionEventInvokeConfig`.
public struct EventInvokeConfigRequest: Codable, Sendable {
    public var MaximumRetryAttempts: Int?
    public var MaximumEventAgeInSeconds: Int?
    public var DestinationConfig: DestinationConfig?
    public init(MaximumRetryAttempts: Int? = nil, MaximumEventAgeInSeconds: Int? = nil, DestinationConfig: DestinationConfig? = nil) {
        self.MaximumRetryAttempts = MaximumRetryAttempts
        self.MaximumEventAgeInSeconds = MaximumEventAgeInSeconds
        self.DestinationConfig = DestinationConfig
    }
}

/// `FunctionEventInvokeConfig`: `FunctionArn` always qualified, `LastModified` in Unix seconds.
public struct FunctionEventInvokeConfig: Codable, Sendable {
    public var DestinationConfig: DestinationConfig
    public var FunctionArn: String
    public var LastModified: Double
    public var MaximumEventAgeInSeconds: Int?
    public var MaximumRetryAttempts: Int?
    public init(DestinationConfig: DestinationConfig, FunctionArn: String, LastModified: Double,
                MaximumEventAgeInSeconds: Int?, MaximumRetryAttempts: Int?) {
        self.DestinationConfig = DestinationConfig
        self.FunctionArn = FunctionArn
        self.LastModified = LastModified
        self.MaximumEventAgeInSeconds = MaximumEventAgeInSeconds
        self.MaximumRetryAttempts = MaximumRetryAttempts
    }
}

/// `ListFunctionEventInvokeConfigs`' answer.
public struct ListFunctionEventInvokeConfigsResponse: Codable, Sendable {
    public var FunctionEventInvokeConfigs: [FunctionEventInvokeConfig]
    public var NextMarker: String?
    public init(FunctionEventInvokeConfigs: [FunctionEventInvokeConfig], NextMarker: String? = nil) {
        self.FunctionEventInvokeConfigs = FunctionEventInvokeConfigs
        self.NextMarker = NextMarker
    }
}

/// One event fnboxd gave up on (`GET /fnbox/functions/{name}/dead-letters`; not a Lambda API).
public struct DeadLetter: Codable, Sendable {
    public var Id: Int64
    public var RequestId: String
    /// `RetriesExhausted`, `EventAgeExceeded`, `ZeroReservedConcurrency` or `FunctionNotFound`.
    public var Condition: String
    public var ApproximateInvokeCount: Int
    /// The original event, as JSON text.
    public var RequestPayload: String
    /// The last attempt's response (the error object), as JSON text; nil if it never ran.
    public var ResponsePayload: String?
    public var FunctionError: String?
    /// Unix seconds.
    public var ReceivedAt: Double
    public var FailedAt: Double
    public init(Id: Int64, RequestId: String, Condition: String, ApproximateInvokeCount: Int, RequestPayload: String,
                ResponsePayload: String?, FunctionError: String?, ReceivedAt: Double, FailedAt: Double) {
        self.Id = Id
        self.RequestId = RequestId
        self.Condition = Condition
        self.ApproximateInvokeCount = ApproximateInvokeCount
        self.RequestPayload = RequestPayload
        self.ResponsePayload = ResponsePayload
        self.FunctionError = FunctionError
        self.ReceivedAt = ReceivedAt
        self.FailedAt = FailedAt
    }
}

public struct DeadLettersResponse: Codable, Sendable {
    public var DeadLetters: [DeadLetter]
    public init(DeadLetters: [DeadLetter]) { self.DeadLetters = DeadLetters }
}
