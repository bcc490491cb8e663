import Dispatch
import Foundation

/// Waits for the first of some signals (handled through Dispatch, not a signal handler).
enum SignalWaiter {
    static func wait(for signals: [Int32]) async -> Int32 {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "fnboxd.signals")
            let once = Once()
            var sources: [any DispatchSourceSignal] = []
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    if once.fire() { continuation.resume(returning: number) }
                }
                source.resume()
                sources.append(source)
            }
            Keep.sources = sources
        }
    }

    private final class Once: @unchecked Sendable {
        private var fired = false
        private let lock = NSLock()
        func fire() -> Bool { lock.withLock { defer { fired = true }; return !fired } }
    }

    private enum Keep { nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = [] }
}
