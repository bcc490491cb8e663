import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct DeadLettersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List the Event invocations fnboxd gave up on for a function, or send one back to the queue.",
        discussion: """
            fnboxd keeps every async event it gave up on (retries exhausted, event too old) in its state \
            dir, with the reason and the last error. --redrive puts one back in the queue with its request \
            id and a fresh age.

              fnbox dead-letters resize
              fnbox dead-letters resize --redrive 3
            """
    )

    @Argument(help: "The function's name.")
    var name: String

    @Option(help: "Put this dead letter (its Id) back in the queue.")
    var redrive: Int64?

    @Flag(help: "Print the daemon's JSON as it is.")
    var json = false

    @Option(help: "fnboxd's socket.")
    var socket = "/run/fnbox/fnboxd.sock"

    func run() throws {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? name
        if let redrive {
            let response = try DaemonSocket(path: socket).send("POST", "/fnbox/functions/\(encoded)/dead-letters/\(redrive)/redrive")
            guard response.status == 202 else { throw DaemonSocket.failure(response) }
            print("re-queued dead letter \(redrive) as request \(response.header("x-amzn-RequestId") ?? "?")")
            return
        }
        let response = try DaemonSocket(path: socket).send("GET", "/fnbox/functions/\(encoded)/dead-letters")
        guard response.status == 200 else { throw DaemonSocket.failure(response) }
        if json {
            print(String(decoding: response.body, as: UTF8.self))
            return
        }
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let letters = object?["DeadLetters"] as? [[String: Any]] ?? []
        if letters.isEmpty { print("no dead letters for \(name)") }
        for letter in letters {
            let failed = Date(timeIntervalSince1970: letter["FailedAt"] as? Double ?? 0)
            var line = "\(letter["Id"] ?? "?")\t\(letter["RequestId"] ?? "?")\t\(letter["Condition"] ?? "?")"
            line += "\tattempts=\(letter["ApproximateInvokeCount"] ?? 0)\t\(ISO8601DateFormatter().string(from: failed))"
            if let text = letter["ResponsePayload"] as? String,
               let error = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] {
                line += "\t\(error["errorType"] ?? ""): \(error["errorMessage"] ?? "")"
            }
            print(line)
        }
    }
}

/// One blocking HTTP/1.1 request to fnboxd over its Unix socket (`Connection: close`).
struct DaemonSocket {
    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ name: String) -> String? { headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1 }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let path: String

    static func failure(_ response: Response) -> Failure {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let message = object?["message"] ?? object?["Message"] ?? String(decoding: response.body, as: UTF8.self)
        return Failure(description: "fnboxd answered \(response.status) \(response.header("x-amzn-ErrorType") ?? ""): \(message)")
    }

    func send(_ method: String, _ target: String) throws -> Response {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Failure(description: "socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, byte) in bytes.enumerated() { raw[i] = byte } }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            throw Failure(description: "connect '\(path)' failed: \(String(cString: strerror(errno))) (is fnboxd running?)")
        }
        let request = Array("\(method) \(target) HTTP/1.1\r\nHost: fnbox\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        var offset = 0
        while offset < request.count {
            let n = request[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send failed: \(String(cString: strerror(errno)))") }
            offset += n
        }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Failure(description: "recv failed: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            data += chunk[0..<n]
        }
        guard let end = data.indices.dropLast(3).first(where: { data[$0] == 13 && data[$0 + 1] == 10 && data[$0 + 2] == 13 && data[$0 + 3] == 10 }) else {
            throw Failure(description: "fnboxd sent no HTTP response")
        }
        var lines = String(decoding: data[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure(description: "bad status line from fnboxd") }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Response(status: status, headers: headers, body: Array(data[(end + 4)...]))
    }
}
