import FnboxAPI
import FnboxRuntime
import Foundation
import Logging

/// The Lambda management operations over the store, the code store and the pool.
struct LambdaAPI: Sendable {
    let store: FunctionStore
    let code: CodeStore
    let pool: WarmPool
    let metrics: DaemonMetrics
    let options: InstanceOptions
    let logger: Logger
    /// The async queue (`Event` invocations), its dead letters and event invoke configs.
    let events: EventStore
    let asyncSettings: AsyncSettings
    /// Host directories a bundle's `fnbox.toml` may mount from (`--mount-root`).
    let mountRoots: [String]

    /// `GET /metrics`.
    func metricsText() async -> HTTPResponse {
        if let eventStats = try? await events.stats() { metrics.asyncGauges(eventStats, now: Date().timeIntervalSince1970) }
        let stats = await pool.stats
        return HTTPResponse(
            status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
            body: metrics.exposition(idle: stats.idle, busy: stats.busy, queued: stats.queued))
    }

    static let defaultRole = "arn:aws:iam::000000000000:role/fnbox"

    func arn(_ name: String) -> String { options.functionARN(name) }

    func record(_ name: String, invoke: Bool = false) async throws -> FunctionRecord {
        guard !name.contains(":"), let record = try await store.get(name) else {
            let qualifier = invoke && !name.contains(":") ? ":$LATEST" : ""
            throw LambdaError.notFound("Function not found: \(arn(name))\(qualifier)")
        }
        return record
    }

    func createFunction(_ body: [UInt8]) async throws -> HTTPResponse {
        let request = try decode(CreateFunctionRequest.self, body)
        let name = Router.decode(request.FunctionName)
        guard let runtime = request.Runtime else { throw LambdaError.invalidParameter("Runtime is required for a Zip package") }
        let kind = try FunctionRecord.runtimeKind(runtime)
        guard let handler = request.Handler ?? (kind == .exec ? "bootstrap" : nil) else {
            throw LambdaError.invalidParameter("Handler is required for a Zip package")
        }
        var record = FunctionRecord(
            name: name, runtime: runtime, role: request.Role ?? Self.defaultRole, handler: handler,
            description: request.Description ?? "", memoryMB: request.MemorySize ?? FunctionConfig.defaultMemoryMB,
            timeoutSeconds: request.Timeout ?? FunctionConfig.defaultTimeoutSeconds,
            environmentJSON: FunctionRecord.encodeEnvironment(request.Environment?.Variables ?? [:]),
            codeSha256Hex: "", codeSha256Base64: "", codeSize: 0, revisionID: UUID().uuidString.lowercased(),
            lastModified: FunctionRecord.timestamp(), reservedConcurrency: nil)
        try validate(record)
        if try await store.get(name) != nil { throw LambdaError.conflict("Function already exist: \(name)") }
        let stored = try await storeCode(request.Code.ZipFile)
        record.codeSha256Hex = stored.sha256Hex
        record.codeSha256Base64 = stored.sha256Base64
        record.codeSize = stored.size
        guard try await store.insert(record) else { throw LambdaError.conflict("Function already exist: \(name)") }
        logger.info("function created", metadata: ["function.name": "\(name)", "code.sha256": "\(stored.sha256Hex)"])
        return .json(record.configuration(arn: arn(name)), status: 201)
    }

    /// Pages of at most 50 (and `MaxItems`), in name order; `NextMarker` is the last name sent.
    func listFunctions(query: [String: String]) async throws -> HTTPResponse {
        var records = try await store.list()
        if let marker = query["Marker"], !marker.isEmpty { records = records.filter { $0.name > marker } }
        let pageSize = min(50, max(1, query["MaxItems"].flatMap(Int.init) ?? 50))
        let page = Array(records.prefix(pageSize))
        let next = records.count > pageSize ? page.last?.name : nil
        return .json(ListFunctionsResponse(Functions: page.map { $0.configuration(arn: arn($0.name)) }, NextMarker: next))
    }

    func getFunction(_ name: String) async throws -> HTTPResponse {
        let record = try await record(name)
        let location = "file://\(code.codeDir.appending("\(record.codeSha256Hex).zip"))"
        return .json(GetFunctionResponse(
            configuration: record.configuration(arn: arn(name)), codeLocation: location,
            reservedConcurrency: record.reservedConcurrency))
    }

    func getFunctionConfiguration(_ name: String) async throws -> HTTPResponse {
        .json(try await record(name).configuration(arn: arn(name)))
    }

    func deleteFunction(_ name: String) async throws -> HTTPResponse {
        guard try await store.delete(name) else { throw LambdaError.notFound("Function not found: \(arn(name))") }
        _ = try? await events.deleteConfig(function: name)
        await pool.retire(name)
        logger.info("function deleted", metadata: ["function.name": "\(name)"])
        return HTTPResponse(status: 204)
    }

    func updateFunctionCode(_ name: String, body: [UInt8]) async throws -> HTTPResponse {
        let request = try decode(UpdateFunctionCodeRequest.self, body)
        var record = try await record(name)
        let stored = try await storeCode(request.ZipFile)
        record.codeSha256Hex = stored.sha256Hex
        record.codeSha256Base64 = stored.sha256Base64
        record.codeSize = stored.size
        return try await save(&record)
    }

    func updateFunctionConfiguration(_ name: String, body: [UInt8]) async throws -> HTTPResponse {
        let request = try decode(UpdateFunctionConfigurationRequest.self, body)
        var record = try await record(name)
        if let runtime = request.Runtime { _ = try FunctionRecord.runtimeKind(runtime); record.runtime = runtime }
        if let role = request.Role { record.role = role }
        if let handler = request.Handler { record.handler = handler }
        if let description = request.Description { record.description = description }
        if let timeout = request.Timeout { record.timeoutSeconds = timeout }
        if let memory = request.MemorySize { record.memoryMB = memory }
        if let environment = request.Environment {
            record.environmentJSON = FunctionRecord.encodeEnvironment(environment.Variables ?? [:])
        }
        try validate(record)
        return try await save(&record)
    }

    func putConcurrency(_ name: String, body: [UInt8]) async throws -> HTTPResponse {
        let request = try decode(FunctionConcurrency.self, body)
        guard request.ReservedConcurrentExecutions >= 0 else {
            throw LambdaError.invalidParameter("ReservedConcurrentExecutions must be at least 0")
        }
        var record = try await record(name, invoke: true)
        record.reservedConcurrency = request.ReservedConcurrentExecutions
        try await store.update(record)
        return .json(request)
    }

    func deleteConcurrency(_ name: String) async throws -> HTTPResponse {
        var record = try await record(name, invoke: true)
        record.reservedConcurrency = nil
        try await store.update(record)
        return HTTPResponse(status: 204)
    }

    func getConcurrency(_ name: String) async throws -> HTTPResponse {
        let record = try await record(name)
        guard let reserved = record.reservedConcurrency else {
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
        }
        return .json(FunctionConcurrency(ReservedConcurrentExecutions: reserved))
    }

    // MARK: - helpers

    private func save(_ record: inout FunctionRecord) async throws -> HTTPResponse {
        record.revisionID = UUID().uuidString.lowercased()
        record.lastModified = FunctionRecord.timestamp()
        try await store.update(record)
        await pool.retire(record.name)
        logger.info("function updated", metadata: ["function.name": "\(record.name)", "revision.id": "\(record.revisionID)"])
        return .json(record.configuration(arn: arn(record.name)))
    }

    private func validate(_ record: FunctionRecord) throws {
        let config = try record.functionConfig()
        do {
            try config.validate()
        } catch {
            throw LambdaError(status: 400, type: error.lambdaErrorType, message: error.lambdaMessage)
        }
    }

    private func storeCode(_ zipBase64: String?) async throws -> CodeStore.StoredCode {
        guard let zipBase64 else { throw LambdaError.invalidParameter("Code.ZipFile is required (S3 and images are not supported)") }
        guard let data = Data(base64Encoded: zipBase64, options: .ignoreUnknownCharacters) else {
            throw LambdaError.invalidParameter("Could not unzip uploaded file. Please check your file, then try to upload again.")
        }
        let bytes = Array(data)
        let code = self.code
        return try await runBlockingThrowing { () throws -> CodeStore.StoredCode in try code.put(zip: bytes) }
    }

    func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch let error as DecodingError {
            if case .dataCorrupted = error {
                throw LambdaError.invalidContent("Could not parse request body into json: \(error)")
            }
            throw LambdaError.invalidParameter("\(error)")
        }
    }
}
