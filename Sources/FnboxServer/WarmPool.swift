import FnboxAPI
import FnboxRuntime
import Foundation
import Logging
import SystemPackage

/// What the pool needs to start or reuse an instance of a function.
struct PoolFunction: Sendable {
    var name: String
    /// Instances are reused only for the same revision (code + configuration).
    var revision: String
    var config: FunctionConfig
    var bundleRoot: FilePath
    var reservedConcurrency: Int?
}

/// Limits of the pool.
struct PoolLimits: Sendable {
    var maxInstances: Int
    var memoryBudgetMB: Int
    var idleTTL: Duration
    /// Calls waiting for capacity, beyond which a call is refused at once.
    var maxQueue: Int
    /// How long a call waits for capacity before 429.
    var queueTimeout: Duration
}

/// One instance lent to one call; give it back with `WarmPool.release`.
struct Lease: Sendable {
    let id: Int
    let name: String
    let revision: String
    let memoryMB: Int
    let instance: any FunctionInstance
    let coldStart: Bool
}

/// Idle instances per (function, revision), reused one call at a time; reserved concurrency per
/// function and `maxInstances` overall, with a bounded FIFO queue; idle TTL and LRU eviction
/// under the memory budget. Blocking work (start, destroy) runs on threads, never in the actor.
actor WarmPool {
    private struct Idle {
        var lease: Lease
        var since: ContinuousClock.Instant
    }

    private struct Waiter {
        let id: Int
        let function: PoolFunction
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let limits: PoolLimits
    private let options: InstanceOptions
    private let logger: Logger
    private var idle: [Idle] = []
    private var busyByFunction: [String: Int] = [:]
    private var busyMemoryByFunction: [String: Int] = [:]
    /// Instances lent out, by lease id.
    private var lent: [Int: any FunctionInstance] = [:]
    private var busyCount = 0
    private var busyMemoryMB = 0
    private var currentRevision: [String: String] = [:]
    private var waiters: [Waiter] = []
    private var nextID = 0
    private var destroying: [Int: Task<Void, Never>] = [:]
    private var reaper: Task<Void, Never>?
    private var closed = false

    init(limits: PoolLimits, options: InstanceOptions, logger: Logger) {
        self.limits = limits
        self.options = options
        self.logger = logger
    }

    struct Stats: Sendable, Equatable {
        var idle: Int
        var busy: Int
        var queued: Int
    }

    var stats: Stats { Stats(idle: idle.count, busy: busyCount, queued: waiters.count) }

    /// One function's live instances, for `GET /fnbox/status`.
    struct FunctionUsage: Sendable, Equatable {
        var idle = 0
        var busy = 0
        /// The configured memory of its live instances, in MB.
        var memoryMB = 0
    }

    /// Live instances by function name; functions without any are left out.
    var usageByFunction: [String: FunctionUsage] {
        var usage: [String: FunctionUsage] = [:]
        for entry in idle {
            usage[entry.lease.name, default: FunctionUsage()].idle += 1
            usage[entry.lease.name, default: FunctionUsage()].memoryMB += entry.lease.memoryMB
        }
        for (name, count) in busyByFunction where count > 0 {
            usage[name, default: FunctionUsage()].busy += count
            usage[name, default: FunctionUsage()].memoryMB += busyMemoryByFunction[name, default: 0]
        }
        return usage
    }

    /// The configured memory of every live instance, idle or busy, in MB: what `--memory-budget` caps.
    var memoryInUseMB: Int { liveMemoryMB }

    /// The limits the pool was started with.
    var poolLimits: PoolLimits { limits }

    /// The cgroup directories of every live instance, idle or lent (for tests and status).
    var liveCgroupPaths: [String] {
        (idle.map(\.lease.instance) + Array(lent.values)).flatMap { $0.cgroup?.paths.map(\.string) ?? [] }
    }

    func startReaper() {
        guard reaper == nil else { return }
        let interval = min(limits.idleTTL / 2, .seconds(1))
        reaper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self?.reapIdle()
            }
        }
    }

    /// Lends an instance: a warm idle one of the same revision, else a new one. Waits in the
    /// queue when at a limit; throws `LambdaError` 429 when the queue is full or the wait too long.
    /// Without `waitForCapacity` (async events), it never queues and never goes ahead of a queued
    /// caller: 429 at once unless an instance is free and nobody waits.
    func acquire(_ function: PoolFunction, waitForCapacity: Bool = true) async throws -> Lease {
        if closed { throw LambdaError.service("fnboxd is shutting down") }
        if function.reservedConcurrency == 0 {
            throw LambdaError.tooManyRequests(reason: "ReservedFunctionConcurrentInvocationLimitExceeded")
        }
        noteRevision(function)
        if !waitForCapacity && !waiters.isEmpty { throw LambdaError.tooManyRequests(reason: "ConcurrentInvocationLimitExceeded") }
        // Calls of this function already queued go first: no barging past them.
        if waiters.contains(where: { $0.function.name == function.name }) { try await wait(function) }
        while true {
            if let lease = takeIdle(function) { return lease }
            if hasCapacity(function) { break }
            guard waitForCapacity else { throw LambdaError.tooManyRequests(reason: "ConcurrentInvocationLimitExceeded") }
            try await wait(function)
        }
        // Reserve the slot, then start outside the actor.
        markBusy(name: function.name, memoryMB: function.config.memoryMB)
        nextID += 1
        let id = nextID
        let options = self.options
        do {
            let instance = try await runBlockingThrowing {
                try InstanceFactory.start(config: function.config, bundleRoot: function.bundleRoot, options: options)
            }
            lent[id] = instance
            return Lease(id: id, name: function.name, revision: function.revision, memoryMB: function.config.memoryMB,
                         instance: instance, coldStart: true)
        } catch {
            unbusy(name: function.name, memoryMB: function.config.memoryMB)
            wakeWaiters()
            logger.error("instance start failed", metadata: ["function.name": "\(function.name)", "error": "\(error)"])
            throw LambdaError.service("could not start an instance of \(function.name): \(error)")
        }
    }

    /// Takes back a lease: idle again if reusable and still current, destroyed otherwise.
    func release(_ lease: Lease) {
        lent[lease.id] = nil
        unbusy(name: lease.name, memoryMB: lease.memoryMB)
        if !closed && lease.instance.isReusable && currentRevision[lease.name] == lease.revision {
            let reused = Lease(id: lease.id, name: lease.name, revision: lease.revision, memoryMB: lease.memoryMB,
                               instance: lease.instance, coldStart: false)
            idle.append(Idle(lease: reused, since: .now))
        } else {
            destroy(lease)
        }
        wakeWaiters()
    }

    /// Retires every idle instance of `name` (new code, new configuration, deletion); busy ones
    /// are destroyed when they come back.
    func retire(_ name: String) {
        currentRevision[name] = nil
        let (gone, kept) = idle.partitioned { $0.lease.name == name }
        idle = kept
        gone.forEach { destroy($0.lease) }
        wakeWaiters()
    }

    /// Stops lending, waits for calls in flight, destroys every instance and waits for that too.
    func shutdown() async {
        closed = true
        reaper?.cancel()
        for waiter in waiters { waiter.continuation.resume(throwing: LambdaError.service("fnboxd is shutting down")) }
        waiters.removeAll()
        while busyCount > 0 { try? await Task.sleep(for: .milliseconds(20)) }
        idle.forEach { destroy($0.lease) }
        idle.removeAll()
        while let (_, task) = destroying.first { await task.value }
    }

    // MARK: - internals

    private func noteRevision(_ function: PoolFunction) {
        if let current = currentRevision[function.name], current != function.revision {
            let (gone, kept) = idle.partitioned { $0.lease.name == function.name && $0.lease.revision != function.revision }
            idle = kept
            gone.forEach { destroy($0.lease) }
        }
        currentRevision[function.name] = function.revision
    }

    private func withinReserved(_ function: PoolFunction) -> Bool {
        guard let reserved = function.reservedConcurrency else { return true }
        return busyByFunction[function.name, default: 0] < reserved
    }

    private func takeIdle(_ function: PoolFunction) -> Lease? {
        guard withinReserved(function),
              let index = idle.lastIndex(where: { $0.lease.name == function.name && $0.lease.revision == function.revision })
        else { return nil }
        let lease = idle.remove(at: index).lease
        markBusy(name: lease.name, memoryMB: lease.memoryMB)
        lent[lease.id] = lease.instance
        return lease
    }

    /// Whether a new instance may start now, evicting idle ones (LRU) to make room.
    private func hasCapacity(_ function: PoolFunction) -> Bool {
        guard withinReserved(function), busyCount < limits.maxInstances else { return false }
        let need = function.config.memoryMB
        guard busyMemoryMB + need <= limits.memoryBudgetMB else { return false }
        while !idle.isEmpty && (busyCount + idle.count >= limits.maxInstances || liveMemoryMB + need > limits.memoryBudgetMB) {
            let oldest = idle.indices.min { idle[$0].since < idle[$1].since }!
            destroy(idle.remove(at: oldest).lease)
        }
        return true
    }

    private var liveMemoryMB: Int { busyMemoryMB + idle.reduce(0) { $0 + $1.lease.memoryMB } }

    private func wait(_ function: PoolFunction) async throws {
        let reason = withinReserved(function)
            ? "ConcurrentInvocationLimitExceeded" : "ReservedFunctionConcurrentInvocationLimitExceeded"
        guard waiters.count < limits.maxQueue else { throw LambdaError.tooManyRequests(reason: reason) }
        nextID += 1
        let id = nextID
        let timeout = limits.queueTimeout
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id, reason: reason)
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { continuation in
            waiters.append(Waiter(id: id, function: function, continuation: continuation))
        }
    }

    private func expire(_ id: Int, reason: String) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: LambdaError.tooManyRequests(reason: reason))
    }

    /// Resumes, in order, the waiters that could now proceed; they re-check when they run.
    private func wakeWaiters() {
        var remaining: [Waiter] = []
        var freeSlots = limits.maxInstances - busyCount
        var perFunction = busyByFunction
        for waiter in waiters {
            let f = waiter.function
            let reservedOK = f.reservedConcurrency.map { perFunction[f.name, default: 0] < $0 } ?? true
            if freeSlots > 0 && reservedOK {
                freeSlots -= 1
                perFunction[f.name, default: 0] += 1
                waiter.continuation.resume()
            } else {
                remaining.append(waiter)
            }
        }
        waiters = remaining
    }

    private func markBusy(name: String, memoryMB: Int) {
        busyCount += 1
        busyMemoryMB += memoryMB
        busyByFunction[name, default: 0] += 1
        busyMemoryByFunction[name, default: 0] += memoryMB
    }

    private func unbusy(name: String, memoryMB: Int) {
        busyCount -= 1
        busyMemoryMB -= memoryMB
        busyByFunction[name, default: 1] -= 1
        busyMemoryByFunction[name, default: memoryMB] -= memoryMB
    }

    private func destroy(_ lease: Lease) {
        let instance = lease.instance
        let id = lease.id
        logger.debug("destroying instance", metadata: ["function.name": "\(lease.name)"])
        destroying[id] = Task { [weak self] in
            await runBlocking { instance.destroy() }
            await self?.destroyed(id)
        }
    }

    private func destroyed(_ id: Int) { destroying[id] = nil }

    private func reapIdle() {
        let now = ContinuousClock.now
        let (gone, kept) = idle.partitioned { now - $0.since >= limits.idleTTL }
        idle = kept
        gone.forEach { destroy($0.lease) }
    }
}

extension Array {
    /// (matching, not matching), each in the original order.
    func partitioned(by predicate: (Element) -> Bool) -> ([Element], [Element]) {
        var yes: [Element] = [], no: [Element] = []
        for element in self { if predicate(element) { yes.append(element) } else { no.append(element) } }
        return (yes, no)
    }
}
