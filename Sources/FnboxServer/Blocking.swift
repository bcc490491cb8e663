import Foundation
import Synchronization

/// Runs blocking work (spawning, waiting on a sandbox, unpacking) on its own thread, never on
/// Swift's cooperative pool, and resumes the caller when it is done.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        BlockingThreads.run { continuation.resume(returning: body()) }
    }
}

/// The throwing form of `runBlocking`.
func runBlockingThrowing<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await runBlocking { Result { try body() } }.get()
}

/// Threads for `runBlocking`: every job gets a thread of its own at once (a call may block for
/// its whole timeout, so nothing ever waits behind another job), but a thread that finished a job
/// waits a while for the next one instead of exiting. A warm call then costs a wake-up, not a
/// thread's creation and exit (clone3, its stack, signal masks).
enum BlockingThreads {
    /// An idle thread exits after this long without work.
    static let idleTimeout: TimeInterval = 10

    /// One thread and its next job. `job` is only touched with `condition` locked.
    private final class Worker: @unchecked Sendable {
        let condition = NSCondition()
        var job: (@Sendable () -> Void)?
    }

    /// Threads waiting for work; the most recently idle last (it is taken first: its stack is warm).
    private static let idle = Mutex<[Worker]>([])

    static func run(_ job: @escaping @Sendable () -> Void) {
        if let worker = idle.withLock({ $0.popLast() }) {
            worker.condition.lock()
            worker.job = job
            worker.condition.signal()
            worker.condition.unlock()
            return
        }
        let worker = Worker()
        worker.job = job
        let thread = Thread { loop(worker) }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private static func loop(_ worker: Worker) {
        while true {
            worker.condition.lock()
            while worker.job == nil {
                if !worker.condition.wait(until: Date(timeIntervalSinceNow: idleTimeout)), worker.job == nil {
                    // Idle too long: leave, unless `run` has just taken this worker off the idle
                    // list, in which case its job is on the way.
                    let left = idle.withLock { workers in
                        guard let index = workers.firstIndex(where: { $0 === worker }) else { return false }
                        workers.remove(at: index)
                        return true
                    }
                    if left {
                        worker.condition.unlock()
                        return
                    }
                }
            }
            let job = worker.job!
            worker.job = nil
            worker.condition.unlock()
            job()
            idle.withLock { $0.append(worker) }
        }
    }
}
