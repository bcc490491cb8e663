import FnboxAPI
import Foundation
import GRDB
import Synchronization

/// Deployed functions in SQLite (`<state>/fnbox.sqlite`).
///
/// Every Invoke looks its function up, so `get` answers from a write-through cache of the records
/// read or written so far: no SQL to build and parse, and no hop to the database queue. It stays
/// exact because this store is the database's only writer (one fnboxd per state directory), and
/// every change updates the cache inside the same serialized write that changes the row.
final class FunctionStore: Sendable {
    private let db: DatabaseQueue
    private let cache = Mutex<[String: FunctionRecord]>([:])

    init(path: String) throws {
        db = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "function") { t in
                t.primaryKey("name", .text)
                t.column("runtime", .text).notNull()
                t.column("role", .text).notNull()
                t.column("handler", .text).notNull()
                t.column("description", .text).notNull()
                t.column("memoryMB", .integer).notNull()
                t.column("timeoutSeconds", .integer).notNull()
                t.column("environmentJSON", .text).notNull()
                t.column("codeSha256Hex", .text).notNull()
                t.column("codeSha256Base64", .text).notNull()
                t.column("codeSize", .integer).notNull()
                t.column("revisionID", .text).notNull()
                t.column("lastModified", .text).notNull()
                t.column("reservedConcurrency", .integer)
            }
        }
        try migrator.migrate(db)
    }

    func get(_ name: String) async throws -> FunctionRecord? {
        if let record = cache.withLock({ $0[name] }) { return record }
        // Reads and writes are serialized on the queue, so what this read finds is not older
        // than any write the cache has seen.
        return try await db.read { db in
            let record = try FunctionRecord.fetchOne(db, key: name)
            if let record { self.cache.withLock { $0[name] = record } }
            return record
        }
    }

    func list() async throws -> [FunctionRecord] {
        try await db.read { db in try FunctionRecord.order(Column("name")).fetchAll(db) }
    }

    /// Inserts; false when the name is taken.
    func insert(_ record: FunctionRecord) async throws -> Bool {
        try await write(record.name) { db in
            if try FunctionRecord.exists(db, key: record.name) { return (false, nil) }
            try record.insert(db)
            return (true, record)
        }
    }

    func update(_ record: FunctionRecord) async throws {
        try await write(record.name) { db in
            try record.update(db)
            return ((), record)
        }
    }

    /// Deletes; false when there was nothing to delete.
    func delete(_ name: String) async throws -> Bool {
        try await write(name) { db in (try FunctionRecord.deleteOne(db, key: name), nil) }
    }

    /// A write of `name`'s row: `change` returns its result and the row as it now is (nil: none).
    /// The cache forgets the name first, and learns the new row only once the transaction committed.
    private func write<T: Sendable>(
        _ name: String, _ change: @escaping @Sendable (Database) throws -> (T, FunctionRecord?)
    ) async throws -> T {
        try await db.writeWithoutTransaction { db in
            self.cache.withLock { $0[name] = nil }
            var outcome: (T, FunctionRecord?)?
            try db.inTransaction {
                outcome = try change(db)
                return .commit
            }
            let (result, row) = outcome!
            if let row { self.cache.withLock { $0[name] = row } }
            return result
        }
    }
}
