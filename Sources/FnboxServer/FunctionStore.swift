import FnboxAPI
import Foundation
import GRDB

/// Deployed functions in SQLite (`<state>/fnbox.sqlite`).
final class FunctionStore: Sendable {
    private let db: DatabaseQueue

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
        try await db.read { db in try FunctionRecord.fetchOne(db, key: name) }
    }

    func list() async throws -> [FunctionRecord] {
        try await db.read { db in try FunctionRecord.order(Column("name")).fetchAll(db) }
    }

    /// Inserts; false when the name is taken.
    func insert(_ record: FunctionRecord) async throws -> Bool {
        try await db.write { db in
            if try FunctionRecord.exists(db, key: record.name) { return false }
            try record.insert(db)
            return true
        }
    }

    func update(_ record: FunctionRecord) async throws {
        try await db.write { db in try record.update(db) }
    }

    /// Deletes; false when there was nothing to delete.
    func delete(_ name: String) async throws -> Bool {
        try await db.write { db in try FunctionRecord.deleteOne(db, key: name) }
    }
}
