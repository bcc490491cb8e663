import FnboxAPI
import FnboxRuntime
import Foundation
import Logging

/// How the async queue behaves.
public struct AsyncSettings: Sendable {
    /// Lambda waits about 1×, then 2× this before a retry (LAMBDA.md §3.2: about a minute).
    public var retryBaseDelay: Duration
    /// How long one second of `MaximumEventAgeInSeconds` lasts (1 in production; tests shrink it).
    public var eventAgeScale: Double
    /// Events stored (queued or running) past which new ones get 429.
    public var maxQueuedEvents: Int
    /// How often the dispatcher looks for due events when it has nothing to do.
    public var pollInterval: Duration

    public init(retryBaseDelay: Duration = .seconds(60), eventAgeScale: Double = 1, maxQueuedEvents: Int = 100_000,
                pollInterval: Duration = .milliseconds(100)) {
        self.retryBaseDelay = retryBaseDelay
        self.eventAgeScale = eventAgeScale
        self.maxQueuedEvents = maxQueuedEvents
        self.pollInterval = pollInterval
    }

    var retryBaseSeconds: Double { Self.seconds(retryBaseDelay) }

    static func seconds(_ duration: Duration) -> Double {
        let (s, atto) = duration.components
        return Double(s) + Double(atto) / 1e18
    }
}

/// Runs due events from the `EventStore` on the warm pool, one task per event in a task group that
/// `run()` owns; the daemon owns the task running `run()` and cancels it on shutdown.
///
/// Sharing the pool with synchronous calls: async events never wait in the pool's queue. An event takes
/// an instance only when one is free *and* no synchronous caller is waiting (`waitForCapacity: false`);
/// otherwise it goes back to the queue with a short back-off, not counted as an attempt (Lambda treats a
/// throttle the same way). On top of that, async work holds at most `maxInstances - 1` instances (one is
/// always left for a synchronous call), and one function's backlog at most half of them, so a flood of
/// events for one function neither starves synchronous calls nor other functions' events. The function's
/// reserved concurrency caps its events too (the pool enforces it for both kinds of call).
actor EventDispatcher {
    private let store: EventStore
    private let api: LambdaAPI
    private let settings: AsyncSettings
    private let maxInFlight: Int
    private let maxInFlightPerFunction: Int
    private let logger: Logger
    private var inFlight: [String: Int] = [:]
    private var inFlightTotal = 0
    private var stopping = false

    init(store: EventStore, api: LambdaAPI, settings: AsyncSettings, maxInstances: Int, logger: Logger) {
        self.store = store
        self.api = api
        self.settings = settings
        self.maxInFlight = max(1, maxInstances - 1)
        self.maxInFlightPerFunction = max(1, maxInstances / 2)
        self.logger = logger
    }

    /// Re-queues what was running when the daemon last stopped, then dispatches until `stop()` (or
    /// cancellation); the events in flight finish and are recorded before it returns.
    func run() async {
        do {
            let recovered = try await store.recoverRunning(now: Self.now())
            if recovered > 0 { logger.info("re-queued events interrupted by the last stop", metadata: ["events": "\(recovered)"]) }
        } catch {
            logger.error("could not re-queue interrupted events", metadata: ["error": "\(error)"])
        }
        await withDiscardingTaskGroup { group in
            while !stopping && !Task.isCancelled {
                let batch = await claimDue()
                for event in batch {
                    group.addTask { await self.execute(event) }
                }
                if batch.isEmpty { try? await Task.sleep(for: settings.pollInterval) }
            }
        }
    }

    /// Stops claiming events; `run()` returns once those in flight are recorded. The daemon stops the
    /// dispatcher this way rather than by cancelling it, because GRDB's async writes throw
    /// `CancellationError` in a cancelled task, and an outcome that is not written means a re-run.
    func stop() { stopping = true }

    /// Claims due events within the caps, fairly across functions.
    private func claimDue() async -> [QueuedEvent] {
        let now = Self.now()
        var claimed: [QueuedEvent] = []
        do {
            for function in try await store.dueFunctions(now: now).shuffled() {
                var cap = maxInFlightPerFunction
                // Reserved concurrency caps events too; 0 still claims them, to give them up as Lambda does.
                if let reserved = try await api.store.get(function)?.reservedConcurrency, reserved > 0 { cap = min(cap, reserved) }
                let room = min(maxInFlight - inFlightTotal, cap - inFlight[function, default: 0])
                guard room > 0 else { continue }
                let events = try await store.claim(function: function, limit: room, now: now)
                inFlight[function, default: 0] += events.count
                inFlightTotal += events.count
                claimed += events
                if inFlightTotal >= maxInFlight { break }
            }
        } catch {
            logger.error("could not read the event queue", metadata: ["error": "\(error)"])
        }
        return claimed
    }

    private func done(_ function: String) {
        inFlight[function, default: 1] -= 1
        if inFlight[function] == 0 { inFlight[function] = nil }
        inFlightTotal -= 1
    }

    private func execute(_ event: QueuedEvent) async {
        do {
            try await attempt(event)
        } catch {
            // The outcome could not be written: the row stays `running` and runs again after a restart.
            logger.error("could not record an event's outcome", metadata: [
                "function.name": "\(event.function)", "request.id": "\(event.requestID)", "error": "\(error)",
            ])
        }
        done(event.function)
    }

    private func attempt(_ original: QueuedEvent) async throws {
        var event = original
        guard let record = try await api.store.get(event.function) else {
            try await giveUp(event, condition: "FunctionNotFound", response: nil, config: nil)
            return
        }
        let config = try await store.config(function: event.function)
        let maxRetries = config?.maximumRetryAttempts ?? EventInvokeLimits.defaultRetries
        let maxAge = Double(config?.maximumEventAgeInSeconds ?? EventInvokeLimits.defaultAge) * settings.eventAgeScale
        if Self.now() - event.receivedAt > maxAge {
            try await giveUp(event, condition: "EventAgeExceeded", response: lastResponse(event), config: config)
            return
        }
        if record.reservedConcurrency == 0 {
            try await giveUp(event, condition: "ZeroReservedConcurrency", response: nil, config: config)
            return
        }
        let invocation = InvocationRequest(
            requestID: event.requestID, payload: Array(event.payload), invokedFunctionARN: api.arn(event.function))
        var result: InvocationResult?
        var refusal: LambdaError?
        do {
            result = try await api.run(record, invocation, waitForCapacity: false)
        } catch let error as LambdaError where error.status < 500 && error.status != 429 {
            // The function cannot run as configured (a mount outside --mount-root): a failed attempt, so
            // that it ends as a dead letter with the reason instead of waiting out its age.
            refusal = error
        } catch {
            // A throttle or a system error: back in the queue, growing from 1 s to 5 min (scaled like the
            // retry delay), not an attempt.
            event.throttles += 1
            let delay = min(pow(2, Double(event.throttles - 1)), 300) * settings.retryBaseSeconds / 60
            event.nextAttemptAt = Self.now() + delay
            try await store.requeue(event)
            return
        }
        event.attempts += 1
        event.throttles = 0
        if let result, result.status.isSuccess && result.payload.count <= LambdaAPI.responseLimit {
            var follow: [QueuedEvent] = []
            if let target = config?.onSuccess {
                follow.append(destinationEvent(target, event: event, condition: "Success", response: (result.payload, nil)))
            }
            try await store.finish(event, deadLetter: nil, then: follow)
            return
        }
        if let result {
            event.lastResponse = Data(result.payload)
            event.lastFunctionError = "Unhandled"
        } else if let refusal {
            event.lastResponse = Data(JSONText.errorPayload(type: refusal.type, message: refusal.message))
            event.lastFunctionError = "Unhandled"
        }
        if event.attempts > maxRetries {
            try await giveUp(event, condition: "RetriesExhausted", response: lastResponse(event), config: config)
            return
        }
        api.metrics.asyncRetry(function: event.function)
        event.nextAttemptAt = Self.now() + settings.retryBaseSeconds * Double(event.attempts)
        logger.info("event failed; retrying", metadata: [
            "function.name": "\(event.function)", "request.id": "\(event.requestID)", "attempts": "\(event.attempts)",
        ])
        try await store.requeue(event)
    }

    private func lastResponse(_ event: QueuedEvent) -> (payload: [UInt8], functionError: String?)? {
        event.lastResponse.map { (Array($0), event.lastFunctionError) }
    }

    private func giveUp(
        _ event: QueuedEvent, condition: String, response: (payload: [UInt8], functionError: String?)?,
        config: EventInvokeConfigRecord?
    ) async throws {
        let now = Self.now()
        let letter = DeadLetterRecord(
            id: nil, function: event.function, requestID: event.requestID, payload: event.payload, condition: condition,
            attempts: event.attempts, lastResponse: response.map { Data($0.payload) }, lastFunctionError: response?.functionError,
            receivedAt: event.receivedAt, failedAt: now)
        var follow: [QueuedEvent] = []
        if let target = config?.onFailure {
            follow.append(destinationEvent(target, event: event, condition: condition, response: response))
        }
        try await store.finish(event, deadLetter: letter, then: follow)
        api.metrics.deadLetter(function: event.function, condition: condition)
        logger.warning("event given up", metadata: [
            "function.name": "\(event.function)", "request.id": "\(event.requestID)", "condition": "\(condition)",
            "attempts": "\(event.attempts)",
        ])
    }

    /// A new event for the destination function, carrying Lambda's record.
    private func destinationEvent(
        _ target: String, event: QueuedEvent, condition: String, response: (payload: [UInt8], functionError: String?)?
    ) -> QueuedEvent {
        let record = DestinationRecord.json(
            requestID: event.requestID, functionArn: api.arn(event.function) + ":$LATEST", condition: condition,
            approximateInvokeCount: event.attempts, requestPayload: Array(event.payload), response: response)
        return QueuedEvent.new(
            function: Router.decode(target), payload: record, requestID: InvocationRequest.newRequestID(), now: Self.now())
    }

    static func now() -> Double { Date().timeIntervalSince1970 }
}

/// Lambda's ranges and defaults for the event invoke config (LAMBDA.md §3.1).
enum EventInvokeLimits {
    static let retries = 0...2
    static let defaultRetries = 2
    static let age = 60...21_600
    static let defaultAge = 21_600
    /// Lambda's async payload limit.
    static let payloadLimit = 1_048_576
}
