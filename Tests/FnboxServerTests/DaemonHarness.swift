import FnboxCgroups
import FnboxRuntime
@testable import FnboxServer
import Foundation
import Logging

/// A real fnboxd, in process, on a temporary socket with a temporary state dir.
// @unchecked: `daemon` is only set by start and stop, which tests call in sequence.
final class DaemonHarness: @unchecked Sendable {
    let socketPath: String
    let stateDir: String
    var configuration: FnboxDaemon.Configuration
    private(set) var daemon: FnboxDaemon?

    init(maxInstances: Int = 4, memoryBudgetMB: Int = 4096, idleTTL: Duration = .seconds(60), queueTimeout: Duration = .seconds(2), maxQueue: Int = 8,
         stateDir: String? = nil) {
        let id = UUID().uuidString.prefix(8).lowercased()
        socketPath = "/tmp/fnboxd-test-\(id).sock"
        self.stateDir = stateDir ?? "/tmp/fnboxd-test-state-\(id)"
        configuration = FnboxDaemon.Configuration(
            socketPath: socketPath, stateDir: self.stateDir, maxInstances: maxInstances, memoryBudgetMB: memoryBudgetMB,
            idleTTL: idleTTL, maxQueue: maxQueue, queueTimeout: queueTimeout)
    }

    static func instanceOptions() throws -> InstanceOptions {
        InstanceOptions(rootfs: try RootfsLocator.locate(), cgroups: try CgroupManager.detect())
    }

    func start() async throws {
        var logger = Logger(label: "fnboxd-test")
        logger.logLevel = .warning
        daemon = try await FnboxDaemon.start(configuration, options: try Self.instanceOptions(), logger: logger)
    }

    func stop() async {
        await daemon?.shutdown()
        daemon = nil
    }

    /// Stops the daemon and removes its state.
    func tearDown() async {
        await stop()
        try? FileManager.default.removeItem(atPath: stateDir)
        unlink(socketPath)
    }

    func client() -> UnixHTTPClient { UnixHTTPClient(path: socketPath) }

    /// Runs `body` against a started daemon and always tears it down.
    static func with<T>(_ harness: DaemonHarness = DaemonHarness(), _ body: (DaemonHarness) async throws -> T) async throws -> T {
        try await harness.start()
        do {
            let value = try await body(harness)
            await harness.tearDown()
            return value
        } catch {
            await harness.tearDown()
            throw error
        }
    }
}
