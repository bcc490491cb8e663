import Foundation

/// Long-lived threads that run `fnbox_spawn`.
///
/// Two reasons not to spawn from whatever thread asks: spawning blocks until the child has exec'd
/// (it must not block Swift's cooperative pool), and the child's `PR_SET_PDEATHSIG` fires when the
/// *thread* that created it exits, so the creating thread has to outlive every sandbox. These
/// threads never exit.
final class SpawnThreads: @unchecked Sendable {
    // `jobs` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    static let shared = SpawnThreads(count: 4)

    private init(count: Int) {
        for i in 0..<count {
            let thread = Thread { [self] in self.loop() }
            thread.name = "fnbox-spawn-\(i)"
            thread.start()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    private func enqueue(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on a spawn thread and blocks the caller until it returns.
    func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        enqueue {
            box.value = body()
            done.signal()
        }
        done.wait()
        return box.value!
    }

    /// Runs `body` on a spawn thread and resumes when it returns.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            enqueue { continuation.resume(returning: body()) }
        }
    }
}

/// Hands one value from a spawn thread to the waiter; the semaphore orders the write before the read.
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
