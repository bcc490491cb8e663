import FnboxAPI
import Foundation
import GRDB

/// One accepted `Event` invocation, as the queue keeps it until it succeeds or is given up.
struct QueuedEvent: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "event"

    enum State: String, Codable, Sendable { case queued, running }

    var id: Int64?
    var function: String
    var payload: Data
    /// The 202's `x-amzn-RequestId`, reused by every attempt (LAMBDA.md §1.3).
    var requestID: String
    /// Attempts that reached the function (a throttle or a system error is not one).
    var attempts: Int
    /// Throttles and system errors in a row, for the back-off.
    var throttles: Int
    /// Unix seconds.
    var nextAttemptAt: Double
    /// Unix seconds; the event's age is measured from here.
    var receivedAt: Double
    var state: State
    /// The last attempt's response (the error object of a failed attempt).
    var lastResponse: Data?
    var lastFunctionError: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    static func new(function: String, payload: [UInt8], requestID: String, now: Double) -> QueuedEvent {
        QueuedEvent(
            id: nil, function: function, payload: Data(payload), requestID: requestID, attempts: 0, throttles: 0,
            nextAttemptAt: now, receivedAt: now, state: .queued, lastResponse: nil, lastFunctionError: nil)
    }
}

/// An event the queue gave up on, with why.
struct DeadLetterRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "deadLetter"

    var id: Int64?
    var function: String
    var requestID: String
    var payload: Data
    /// `RetriesExhausted`, `EventAgeExceeded`, `ZeroReservedConcurrency`, or fnbox's `FunctionNotFound`.
    var condition: String
    var attempts: Int
    var lastResponse: Data?
    var lastFunctionError: String?
    var receivedAt: Double
    var failedAt: Double

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A function's `PutFunctionEventInvokeConfig` settings; nil means "not set" (Put removes what it omits).
struct EventInvokeConfigRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "eventInvokeConfig"

    var function: String
    var maximumRetryAttempts: Int?
    var maximumEventAgeInSeconds: Int?
    var onSuccess: String?
    var onFailure: String?
    /// Unix seconds.
    var lastModified: Double
}

enum EventStoreError: Error, CustomStringConvertible {
    case queueFull(limit: Int)

    var description: String {
        switch self {
        case .queueFull(let limit): "the event queue holds its limit of \(limit) events"
        }
    }
}

/// The async queue, its dead letters and the event invoke configs, in `<state>/events.sqlite`.
///
/// Durability: WAL with `synchronous = FULL`, so every commit fsyncs the WAL before it returns, and an
/// event acknowledged with 202 survives a daemon crash *and* a power loss. (GRDB turns WAL's synchronous
/// down to NORMAL, which survives a process crash but may lose the last commits on power loss; we set it
/// back to FULL on the single writer connection and check that it took.)
final class EventStore: Sendable {
    private let db: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(5)
        db = try DatabaseQueue(path: path, configuration: configuration)
        let synchronous = try db.writeWithoutTransaction { db -> Int? in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            return try Int.fetchOne(db, sql: "PRAGMA synchronous")
        }
        guard synchronous == 2 else { throw DatabaseError(message: "PRAGMA synchronous = FULL did not take (got \(synchronous ?? -1))") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("function", .text).notNull()
                t.column("payload", .blob).notNull()
                t.column("requestID", .text).notNull()
                t.column("attempts", .integer).notNull()
                t.column("throttles", .integer).notNull()
                t.column("nextAttemptAt", .double).notNull()
                t.column("receivedAt", .double).notNull()
                t.column("state", .text).notNull()
                t.column("lastResponse", .blob)
                t.column("lastFunctionError", .text)
            }
            try db.create(index: "event_due", on: "event", columns: ["state", "function", "nextAttemptAt"])
            try db.create(table: "deadLetter") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("function", .text).notNull().indexed()
                t.column("requestID", .text).notNull()
                t.column("payload", .blob).notNull()
                t.column("condition", .text).notNull()
                t.column("attempts", .integer).notNull()
                t.column("lastResponse", .blob)
                t.column("lastFunctionError", .text)
                t.column("receivedAt", .double).notNull()
                t.column("failedAt", .double).notNull()
            }
            try db.create(table: "eventInvokeConfig") { t in
                t.primaryKey("function", .text)
                t.column("maximumRetryAttempts", .integer)
                t.column("maximumEventAgeInSeconds", .integer)
                t.column("onSuccess", .text)
                t.column("onFailure", .text)
                t.column("lastModified", .double).notNull()
            }
        }
        try migrator.migrate(db)
    }

    // MARK: - the queue

    /// Stores a new event; returns once it is on disk. Throws `EventStoreError.queueFull` past `limit`.
    func enqueue(_ event: QueuedEvent, limit: Int) async throws -> QueuedEvent {
        try await db.write { db in
            let count = try QueuedEvent.fetchCount(db)
            guard count < limit else { throw EventStoreError.queueFull(limit: limit) }
            var event = event
            try event.insert(db)
            return event
        }
    }

    /// After a crash or a kill: events that were running go back to the queue, due now.
    func recoverRunning(now: Double) async throws -> Int {
        try await db.write { db in
            try db.execute(
                sql: "UPDATE event SET state = 'queued', nextAttemptAt = MIN(nextAttemptAt, ?) WHERE state = 'running'",
                arguments: [now])
            return db.changesCount
        }
    }

    /// Functions with at least one event due.
    func dueFunctions(now: Double) async throws -> [String] {
        try await db.read { db in
            try String.fetchAll(
                db, sql: "SELECT DISTINCT function FROM event WHERE state = 'queued' AND nextAttemptAt <= ?", arguments: [now])
        }
    }

    /// Marks up to `limit` of a function's due events running (oldest due first) and returns them.
    func claim(function: String, limit: Int, now: Double) async throws -> [QueuedEvent] {
        guard limit > 0 else { return [] }
        return try await db.write { db in
            let events = try QueuedEvent.fetchAll(
                db,
                sql: "SELECT * FROM event WHERE state = 'queued' AND function = ? AND nextAttemptAt <= ? ORDER BY nextAttemptAt, id LIMIT ?",
                arguments: [function, now, limit])
            for event in events {
                try db.execute(sql: "UPDATE event SET state = 'running' WHERE id = ?", arguments: [event.id])
            }
            return events.map { var e = $0; e.state = .running; return e }
        }
    }

    /// Puts an event back in the queue with its new attempt count and time.
    func requeue(_ event: QueuedEvent) async throws {
        var event = event
        event.state = .queued
        try await db.write { [event] db in try event.update(db) }
    }

    /// Removes a finished event and, in the same transaction, stores what follows from it: a dead letter,
    /// destination events.
    func finish(_ event: QueuedEvent, deadLetter: DeadLetterRecord?, then follow: [QueuedEvent]) async throws {
        try await db.write { db in
            _ = try QueuedEvent.deleteOne(db, key: event.id)
            if var deadLetter { try deadLetter.insert(db) }
            for var next in follow { try next.insert(db) }
        }
    }

    struct Stats: Sendable {
        var queued: Int
        var running: Int
        var oldestReceivedAt: Double?
        var deadLetters: Int
    }

    func stats() async throws -> Stats {
        try await db.read { db in
            Stats(
                queued: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE state = 'queued'") ?? 0,
                running: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE state = 'running'") ?? 0,
                oldestReceivedAt: try Double.fetchOne(db, sql: "SELECT MIN(receivedAt) FROM event"),
                deadLetters: try DeadLetterRecord.fetchCount(db))
        }
    }

    /// Every event of `function` still queued or running (for tests and status).
    func events(function: String) async throws -> [QueuedEvent] {
        try await db.read { db in try QueuedEvent.filter(Column("function") == function).order(Column("id")).fetchAll(db) }
    }

    // MARK: - dead letters

    func deadLetters(function: String) async throws -> [DeadLetterRecord] {
        try await db.read { db in try DeadLetterRecord.filter(Column("function") == function).order(Column("id")).fetchAll(db) }
    }

    /// Moves a dead letter back into the queue, due now, with its request id; nil if there is no such letter.
    func redrive(function: String, id: Int64, now: Double, limit: Int) async throws -> QueuedEvent? {
        try await db.write { db in
            guard let letter = try DeadLetterRecord.fetchOne(db, key: id), letter.function == function else { return nil }
            guard try QueuedEvent.fetchCount(db) < limit else { throw EventStoreError.queueFull(limit: limit) }
            _ = try DeadLetterRecord.deleteOne(db, key: id)
            var event = QueuedEvent.new(function: function, payload: Array(letter.payload), requestID: letter.requestID, now: now)
            try event.insert(db)
            return event
        }
    }

    // MARK: - event invoke configs

    func config(function: String) async throws -> EventInvokeConfigRecord? {
        try await db.read { db in try EventInvokeConfigRecord.fetchOne(db, key: function) }
    }

    func putConfig(_ config: EventInvokeConfigRecord) async throws {
        try await db.write { db in try config.save(db) }
    }

    /// False when there was none.
    func deleteConfig(function: String) async throws -> Bool {
        try await db.write { db in try EventInvokeConfigRecord.deleteOne(db, key: function) }
    }
}
