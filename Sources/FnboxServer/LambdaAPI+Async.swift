import FnboxAPI
import FnboxRuntime
import Foundation

extension LambdaAPI {
    /// `Invoke` with `X-Amz-Invocation-Type: Event`: 202 only once the event is on disk (fsynced).
    func enqueueEvent(
        _ record: FunctionRecord, payload: [UInt8], requestID: String = InvocationRequest.newRequestID()
    ) async throws -> HTTPResponse {
        let limit = EventInvokeLimits.payloadLimit
        guard payload.count <= limit else {
            throw LambdaError.tooLarge("\(payload.count) byte payload is too large for the Event invocation type (limit \(limit) bytes)")
        }
        let event = QueuedEvent.new(
            function: record.name, payload: payload, requestID: requestID, now: Date().timeIntervalSince1970)
        do {
            _ = try await events.enqueue(event, limit: asyncSettings.maxQueuedEvents)
        } catch let error as EventStoreError {
            throw LambdaError(status: 429, type: "TooManyRequestsException", message: "Rate Exceeded. (\(error))",
                              reason: "ConcurrentInvocationLimitExceeded")
        } catch {
            // Read-only or full state dir, I/O error: never a 202 for an event that is not stored.
            throw LambdaError.service("could not store the event: \(error)")
        }
        return HTTPResponse(status: 202, headers: [("x-amzn-RequestId", event.requestID)])
    }

    // MARK: - event invoke config (LAMBDA.md §3.1)

    /// `PUT` (replace) or `POST` (merge, `merge: true`) `/2019-09-25/functions/{name}/event-invoke-config`.
    func putEventInvokeConfig(_ rawName: String, qualifier: String?, body: [UInt8], merge: Bool) async throws -> HTTPResponse {
        let name = try await configFunction(rawName, qualifier: qualifier)
        let request = body.isEmpty ? EventInvokeConfigRequest() : try decode(EventInvokeConfigRequest.self, body)
        try Self.validateRanges(request)
        guard request.MaximumRetryAttempts != nil || request.MaximumEventAgeInSeconds != nil || request.DestinationConfig != nil else {
            throw LambdaError.invalidParameter("You must specify at least one of error handling or destination setting.")
        }
        let existing = try await events.config(function: name)
        var config: EventInvokeConfigRecord
        if merge {
            guard let existing else { throw noConfig(name) }
            config = existing
            if let retries = request.MaximumRetryAttempts { config.maximumRetryAttempts = retries }
            if let age = request.MaximumEventAgeInSeconds { config.maximumEventAgeInSeconds = age }
            if let onSuccess = request.DestinationConfig?.OnSuccess { config.onSuccess = onSuccess.Destination.flatMap { $0.isEmpty ? nil : $0 } }
            if let onFailure = request.DestinationConfig?.OnFailure { config.onFailure = onFailure.Destination.flatMap { $0.isEmpty ? nil : $0 } }
        } else {
            config = EventInvokeConfigRecord(
                function: name, maximumRetryAttempts: request.MaximumRetryAttempts,
                maximumEventAgeInSeconds: request.MaximumEventAgeInSeconds,
                onSuccess: request.DestinationConfig?.OnSuccess?.Destination.flatMap { $0.isEmpty ? nil : $0 },
                onFailure: request.DestinationConfig?.OnFailure?.Destination.flatMap { $0.isEmpty ? nil : $0 },
                lastModified: 0)
        }
        for destination in [config.onSuccess, config.onFailure].compactMap({ $0 }) {
            try await checkDestination(destination, source: name)
        }
        config.lastModified = (Date().timeIntervalSince1970 * 1000).rounded() / 1000
        do {
            try await events.putConfig(config)
        } catch {
            throw LambdaError.service("could not store the event invoke config: \(error)")
        }
        return .json(wire(config))
    }

    func getEventInvokeConfig(_ rawName: String, qualifier: String?) async throws -> HTTPResponse {
        let name = Router.decode(rawName)
        guard try await store.get(name) != nil, Self.isLatest(rawName, qualifier),
              let config = try await events.config(function: name)
        else { throw noConfig(name) }
        return .json(wire(config))
    }

    func deleteEventInvokeConfig(_ rawName: String, qualifier: String?) async throws -> HTTPResponse {
        let name = Router.decode(rawName)
        guard try await store.get(name) != nil, Self.isLatest(rawName, qualifier),
              try await events.deleteConfig(function: name)
        else { throw noConfig(name) }
        return HTTPResponse(status: 204)
    }

    func listEventInvokeConfigs(_ rawName: String) async throws -> HTTPResponse {
        let name = try await configFunction(rawName, qualifier: nil)
        let configs = try await events.config(function: name).map { [wire($0)] } ?? []
        return .json(ListFunctionEventInvokeConfigsResponse(FunctionEventInvokeConfigs: configs))
    }

    // MARK: - dead letters (fnbox's own API)

    /// `GET /fnbox/functions/{name}/dead-letters`: also for a function deleted since.
    func listDeadLetters(_ name: String) async throws -> HTTPResponse {
        let letters = try await events.deadLetters(function: name)
        return .json(DeadLettersResponse(DeadLetters: letters.map { letter in
            DeadLetter(
                Id: letter.id ?? 0, RequestId: letter.requestID, Condition: letter.condition,
                ApproximateInvokeCount: letter.attempts, RequestPayload: String(decoding: letter.payload, as: UTF8.self),
                ResponsePayload: letter.lastResponse.map { String(decoding: $0, as: UTF8.self) },
                FunctionError: letter.lastFunctionError, ReceivedAt: letter.receivedAt, FailedAt: letter.failedAt)
        }))
    }

    /// `POST /fnbox/functions/{name}/dead-letters/{id}/redrive`: back in the queue with its request id, a
    /// fresh age and no attempts; 202 like an `Event` invoke.
    func redriveDeadLetter(_ name: String, id: Int64) async throws -> HTTPResponse {
        let event: QueuedEvent?
        do {
            event = try await events.redrive(function: name, id: id, now: Date().timeIntervalSince1970, limit: asyncSettings.maxQueuedEvents)
        } catch let error as EventStoreError {
            throw LambdaError(status: 429, type: "TooManyRequestsException", message: "Rate Exceeded. (\(error))",
                              reason: "ConcurrentInvocationLimitExceeded")
        }
        guard let event else { throw LambdaError.notFound("No dead letter \(id) for function \(name)") }
        return HTTPResponse(status: 202, headers: [("x-amzn-RequestId", event.requestID)])
    }

    // MARK: - helpers

    /// The function a config call names; 404 "The function doesn't exist." for an unknown one or a
    /// qualifier fnbox doesn't have (only `$LATEST`).
    private func configFunction(_ rawName: String, qualifier: String?) async throws -> String {
        let name = Router.decode(rawName)
        guard Self.isLatest(rawName, qualifier), !name.contains(":"), try await store.get(name) != nil else {
            throw LambdaError.notFound("The function doesn't exist.")
        }
        return name
    }

    private static func isLatest(_ rawName: String, _ qualifier: String?) -> Bool {
        guard let qualifier, !qualifier.isEmpty else { return !Router.decode(rawName).contains(":") }
        return qualifier == "$LATEST" && !Router.decode(rawName).contains(":")
    }

    private func noConfig(_ name: String) -> LambdaError {
        .notFound("The function \(arn(name)):$LATEST doesn't have an EventInvokeConfig")
    }

    /// Above-max (and, for callers other than boto3, below-min) values: Lambda's ValidationException.
    static func validateRanges(_ request: EventInvokeConfigRequest) throws {
        var problems: [String] = []
        func check(_ value: Int?, _ range: ClosedRange<Int>, field: String) {
            guard let value else { return }
            if value > range.upperBound {
                problems.append("Value '\(value)' at '\(field)' failed to satisfy constraint: Member must have value less than or equal to \(range.upperBound)")
            } else if value < range.lowerBound {
                problems.append("Value '\(value)' at '\(field)' failed to satisfy constraint: Member must have value greater than or equal to \(range.lowerBound)")
            }
        }
        check(request.MaximumRetryAttempts, EventInvokeLimits.retries, field: "maximumRetryAttempts")
        check(request.MaximumEventAgeInSeconds, EventInvokeLimits.age, field: "maximumEventAgeInSeconds")
        guard !problems.isEmpty else { return }
        let count = problems.count == 1 ? "1 validation error" : "\(problems.count) validation errors"
        throw LambdaError(status: 400, type: "ValidationException", message: "\(count) detected: " + problems.joined(separator: "; "))
    }

    /// A Lambda destination: another deployed function, by ARN (or, fnbox's shorthand, by name).
    private func checkDestination(_ destination: String, source: String) async throws {
        let isLambdaARN = destination.hasPrefix("arn:") && destination.contains(":lambda:") && destination.contains(":function:")
        guard isLambdaARN || !destination.hasPrefix("arn:") else {
            throw LambdaError.invalidParameter("The destination ARN \(destination) is invalid.")
        }
        let target = Router.decode(destination)
        if target == source { throw LambdaError.invalidParameter("You can't specify the function as a destination for itself.") }
        guard !target.contains(":"), try await store.get(target) != nil else {
            throw LambdaError.invalidParameter("The destination ARN \(destination) is invalid.")
        }
    }

    private func wire(_ config: EventInvokeConfigRecord) -> FunctionEventInvokeConfig {
        FunctionEventInvokeConfig(
            DestinationConfig: DestinationConfig(
                OnSuccess: .init(Destination: config.onSuccess), OnFailure: .init(Destination: config.onFailure)),
            FunctionArn: arn(config.function) + ":$LATEST", LastModified: config.lastModified,
            MaximumEventAgeInSeconds: config.maximumEventAgeInSeconds, MaximumRetryAttempts: config.maximumRetryAttempts)
    }
}
