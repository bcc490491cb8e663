import FnboxAPI
import FnboxRuntime
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SystemPackage

/// fnboxd: the Lambda API on a Unix socket, over the store and the warm pool.
public final class FnboxDaemon: Sendable {
    public struct Configuration: Sendable {
        public var socketPath: String
        public var stateDir: String
        public var maxInstances: Int
        public var memoryBudgetMB: Int
        public var idleTTL: Duration
        public var maxQueue: Int
        public var queueTimeout: Duration
        /// Group owning the socket (mode 0660); nil keeps ours.
        public var socketGroup: gid_t?
        /// The async queue: retry timing, bound.
        public var async = AsyncSettings()
        /// Host directories that bundles' `fnbox.toml` `[[mount]]` sources may lie in; none by default.
        public var mountRoots: [String] = []

        public init(
            socketPath: String = "/run/fnbox/fnboxd.sock", stateDir: String = "/var/lib/fnbox", maxInstances: Int = 16,
            memoryBudgetMB: Int = 4096, idleTTL: Duration = .seconds(300), maxQueue: Int = 64,
            queueTimeout: Duration = .seconds(10), socketGroup: gid_t? = nil
        ) {
            self.socketPath = socketPath
            self.stateDir = stateDir
            self.maxInstances = maxInstances
            self.memoryBudgetMB = memoryBudgetMB
            self.idleTTL = idleTTL
            self.maxQueue = maxQueue
            self.queueTimeout = queueTimeout
            self.socketGroup = socketGroup
        }
    }

    private let configuration: Configuration
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let pool: WarmPool
    private let logger: Logger
    let events: EventStore
    private let dispatcher: EventDispatcher
    /// Runs `dispatcher.run()`; owned here, stopped and awaited by `shutdown()`.
    private let dispatcherTask: Task<Void, Never>

    private init(
        configuration: Configuration, group: MultiThreadedEventLoopGroup, channel: any Channel, pool: WarmPool, logger: Logger,
        events: EventStore, dispatcher: EventDispatcher
    ) {
        self.configuration = configuration
        self.group = group
        self.channel = channel
        self.pool = pool
        self.logger = logger
        self.events = events
        self.dispatcher = dispatcher
        dispatcherTask = Task { await dispatcher.run() }
    }

    /// Opens the state, binds the socket (0660) and starts serving.
    public static func start(
        _ configuration: Configuration, options: InstanceOptions, logger: Logger = Logger(label: "fnboxd")
    ) async throws -> FnboxDaemon {
        // First: never touch the state of a daemon that is running.
        let socketDir = (configuration.socketPath as NSString).deletingLastPathComponent
        if !socketDir.isEmpty { try FileManager.default.createDirectory(atPath: socketDir, withIntermediateDirectories: true) }
        try UnixSocketPath.prepare(configuration.socketPath)

        let code = CodeStore(stateDir: FilePath(configuration.stateDir))
        try code.prepareDirectories()
        let store = try FunctionStore(path: configuration.stateDir + "/fnbox.sqlite")
        let events = try EventStore(path: configuration.stateDir + "/events.sqlite")
        let pool = WarmPool(
            limits: PoolLimits(
                maxInstances: configuration.maxInstances, memoryBudgetMB: configuration.memoryBudgetMB,
                idleTTL: configuration.idleTTL, maxQueue: configuration.maxQueue, queueTimeout: configuration.queueTimeout),
            options: options, logger: logger)
        await pool.startReaper()
        let api = LambdaAPI(
            store: store, code: code, pool: pool, metrics: DaemonMetrics(), options: options, logger: logger, events: events,
            asyncSettings: configuration.async, mountRoots: configuration.mountRoots)
        let router = Router(api: api, logger: logger)
        let dispatcher = EventDispatcher(
            store: events, api: api, settings: configuration.async, maxInstances: configuration.maxInstances, logger: logger)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try channel.pipeline.syncOperations.addHandler(HTTPHandler(router: router, logger: logger))
                    }
                }
                .bind(unixDomainSocketPath: configuration.socketPath)
                .get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        chmod(configuration.socketPath, 0o660)
        if let gid = configuration.socketGroup { chown(configuration.socketPath, uid_t.max, gid) }
        // Which hierarchy (v1 or v2) serves each controller: the first thing to check on a new host.
        logger.info("cgroup layout", metadata: [
            "cgroup.layout": "\(options.cgroups?.layoutDescription ?? "none: sandboxes run without cgroup limits")",
        ])
        logger.info("fnboxd listening", metadata: ["socket.path": "\(configuration.socketPath)", "state.dir": "\(configuration.stateDir)"])
        logger.info("cgroup layout", metadata: ["cgroup.layout": "\(options.cgroups?.layoutDescription ?? "none: instances run without limits")"])
        // A previous fnboxd killed with SIGKILL could not remove its sandboxes' cgroups.
        options.cgroups?.removeOrphanedSandboxCgroups(logger: logger)
        return FnboxDaemon(
            configuration: configuration, group: group, channel: channel, pool: pool, logger: logger, events: events,
            dispatcher: dispatcher)
    }

    /// Instances idle and busy, calls queued.
    public func poolStats() async -> (idle: Int, busy: Int, queued: Int) {
        let stats = await pool.stats
        return (stats.idle, stats.busy, stats.queued)
    }

    /// The cgroup directories of every live instance.
    func liveCgroupPaths() async -> [String] { await pool.liveCgroupPaths }

    /// Stops accepting, lets calls in flight finish, destroys every instance, closes the socket.
    public func shutdown() async {
        logger.info("fnboxd shutting down")
        try? await channel.close()
        // Events in flight finish and are recorded; queued ones wait on disk for the next start.
        await dispatcher.stop()
        await dispatcherTask.value
        await pool.shutdown()
        try? await group.shutdownGracefully()
        unlink(configuration.socketPath)
        logger.info("fnboxd stopped")
    }
}
