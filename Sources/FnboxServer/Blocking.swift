import Foundation

/// Runs blocking work (spawning, waiting on a sandbox, unpacking) on its own thread, never on
/// Swift's cooperative pool, and resumes the caller when it is done.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// The throwing form of `runBlocking`.
func runBlockingThrowing<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await runBlocking { Result { try body() } }.get()
}
