import ArgumentParser
import FnboxRuntime
import FnboxServer
import Foundation
import Logging

@main
struct FnboxdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fnboxd", abstract: "Serve AWS Lambda's API on a Unix socket, with a warm pool of sandboxes.")

    @Option(help: "The Unix socket to listen on (mode 0660).")
    var socket = "/run/fnbox/fnboxd.sock"

    @Option(help: "Group that owns the socket.")
    var socketGroup: String?

    @Option(help: "Where functions and their code are kept.")
    var stateDir = "/var/lib/fnbox"

    @Option(help: "Most instances alive at once.")
    var maxInstances = 16

    @Option(help: "Sum of live instances' memory, in MB.")
    var memoryBudget = 4096

    @Option(help: "Seconds an idle instance is kept warm.")
    var idleTtl = 300

    @Option(help: "Calls that may wait for capacity.")
    var maxQueue = 64

    @Option(help: "Seconds a call may wait for capacity before 429.")
    var queueTimeout = 10

    @Option(help: "Seconds before the first retry of a failed Event invocation; the second waits twice as long (Lambda: about 60).")
    var retryBaseDelay = 60.0

    @Option(help: "How long one second of MaximumEventAgeInSeconds lasts, as a factor (1; tests shrink it).")
    var eventAgeScale = 1.0

    @Option(help: "Event invocations stored at most; past this, new ones get 429.")
    var maxQueuedEvents = 100_000

    @Option(help: "A host directory bundles' fnbox.toml [[mount]] sources may lie in (repeatable; none by default).")
    var mountRoot: [String] = []

    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel = "info"

    func validate() throws {
        guard maxInstances > 0 else { throw ValidationError("--max-instances must be at least 1") }
        guard memoryBudget >= 128 else { throw ValidationError("--memory-budget must be at least 128 MB") }
        guard idleTtl > 0 else { throw ValidationError("--idle-ttl must be at least 1 second") }
        guard retryBaseDelay >= 0, eventAgeScale > 0 else { throw ValidationError("--retry-base-delay must be >= 0 and --event-age-scale > 0") }
        guard maxQueuedEvents > 0 else { throw ValidationError("--max-queued-events must be at least 1") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "fnboxd")
        let options = try DaemonOptions.instanceOptions()
        var groupID: gid_t?
        if let socketGroup {
            guard let entry = getgrnam(socketGroup) else { throw ValidationError("--socket-group: no group '\(socketGroup)'") }
            groupID = entry.pointee.gr_gid
        }
        var configuration = FnboxDaemon.Configuration(
            socketPath: socket, stateDir: stateDir, maxInstances: maxInstances, memoryBudgetMB: memoryBudget,
            idleTTL: .seconds(idleTtl), maxQueue: maxQueue, queueTimeout: .seconds(queueTimeout), socketGroup: groupID)
        configuration.async = AsyncSettings(
            retryBaseDelay: .milliseconds(Int64(retryBaseDelay * 1000)), eventAgeScale: eventAgeScale, maxQueuedEvents: maxQueuedEvents)
        configuration.mountRoots = mountRoot
        let daemon = try await FnboxDaemon.start(configuration, options: options, logger: logger)
        let signal = await SignalWaiter.wait(for: [SIGTERM, SIGINT])
        logger.info("signal received", metadata: ["signal": "\(signal)"])
        await daemon.shutdown()
    }
}
