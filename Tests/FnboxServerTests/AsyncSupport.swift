@testable import FnboxServer
import Foundation

/// A host directory a function writes its side effects to, through a `[[mount]]` in its bundle.
struct SideEffectDir: Sendable {
    let path: String

    init() throws {
        path = "/tmp/fnbox-async-out-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, 0o777)  // the sandbox's uid writes here
    }

    /// The `fnbox.toml` that mounts this directory writable at `/mnt/out`.
    var manifest: String {
        "[[mount]]\nsource = \"\(path)\"\ntarget = \"/mnt/out\"\nread_only = false\n"
    }

    func files() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }

    func read(_ name: String) -> String? { try? String(contentsOfFile: path + "/" + name, encoding: .utf8) }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

extension DaemonHarness {
    /// A harness whose async queue retries after `retryBase` (and 2× that) and lets bundles mount `out`.
    static func async(out: SideEffectDir, retryBase: Duration = .milliseconds(300), ageScale: Double = 1,
                      maxQueuedEvents: Int = 100_000, maxInstances: Int = 4) -> DaemonHarness {
        let harness = DaemonHarness(maxInstances: maxInstances)
        harness.configuration.async = AsyncSettings(
            retryBaseDelay: retryBase, eventAgeScale: ageScale, maxQueuedEvents: maxQueuedEvents, pollInterval: .milliseconds(20))
        harness.configuration.mountRoots = [out.path]
        return harness
    }

    func invokeEvent(_ name: String, _ payload: String = "{}") async throws -> UnixHTTPClient.Response {
        try await invoke(name, payload, headers: [("X-Amz-Invocation-Type", "Event")])
    }

    func eventConfig(_ method: String, _ name: String, _ json: String = "") async throws -> UnixHTTPClient.Response {
        try await request(method, "/2019-09-25/functions/\(name)/event-invoke-config", body: Array(json.utf8))
    }

    func deadLetters(_ name: String) async throws -> [[String: Any]] {
        let response = try await request("GET", "/fnbox/functions/\(name)/dead-letters")
        return response.json?["DeadLetters"] as? [[String: Any]] ?? []
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

enum AsyncHandlers {
    /// Sleeps `event["sleep"]`, then writes `/mnt/out/<request id>` with the event.
    static let sideEffect = """
    import json, time
    def handler(event, context):
        time.sleep(event.get("sleep", 0))
        with open("/mnt/out/" + context.aws_request_id, "w") as f:
            f.write(json.dumps(event))
        return {"done": context.aws_request_id}
    """

    /// Appends `<time> <request id>` to `/mnt/out/attempts.log`, then fails.
    static let flaky = """
    import time
    def handler(event, context):
        with open("/mnt/out/attempts.log", "a") as f:
            f.write("%f %s\\n" % (time.time(), context.aws_request_id))
        raise ValueError("flaky %s" % event.get("n"))
    """

    /// A destination: writes the record it receives to `/mnt/out/record-<condition>.json`.
    static let sink = """
    import json
    def handler(event, context):
        with open("/mnt/out/record-%s.json" % event["requestContext"]["condition"], "w") as f:
            f.write(json.dumps(event))
    """
}
