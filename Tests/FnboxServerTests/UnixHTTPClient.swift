import Foundation

/// A minimal blocking HTTP/1.1 client over a Unix socket (URLSession can't dial one), keeping
/// its connection alive between requests.
final class UnixHTTPClient {
    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    }

    struct ClientError: Error, CustomStringConvertible {
        var description: String
    }

    let path: String
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    init(path: String) { self.path = path }
    deinit { disconnect() }

    var isConnected: Bool { fd >= 0 }

    func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        buffer = []
    }

    func connectIfNeeded() throws {
        guard fd < 0 else { return }
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw ClientError(description: "socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { close(s); throw ClientError(description: "connect '\(path)': errno \(errno)") }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        fd = s
    }

    /// Sends a request and reads the whole response.
    func send(_ method: String, _ target: String, body: [UInt8] = [], headers: [(String, String)] = []) throws -> Response {
        try sendHead(method, target, contentLength: body.count, headers: headers)
        try writeAll(body)
        return try readResponse()
    }

    func sendJSON(_ method: String, _ target: String, _ object: Any, headers: [(String, String)] = []) throws -> Response {
        let body = try JSONSerialization.data(withJSONObject: object)
        return try send(method, target, body: Array(body), headers: headers + [("Content-Type", "application/json")])
    }

    func sendHead(_ method: String, _ target: String, contentLength: Int, headers: [(String, String)] = []) throws {
        try connectIfNeeded()
        var head = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nContent-Length: \(contentLength)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try writeAll(Array(head.utf8))
    }

    func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError(description: "send: errno \(errno)") }
            offset += n
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { throw ClientError(description: n == 0 ? "connection closed" : "recv: errno \(errno)") }
        buffer.append(contentsOf: chunk[0..<n])
    }

    func readResponse() throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            if buffer.count >= 4 {
                for i in 0...(buffer.count - 4) where Array(buffer[i..<i + 4]) == separator { headEnd = i; break }
            }
            if headEnd == nil { try fill() }
        }
        let headText = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw ClientError(description: "bad status line") }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        while buffer.count < length { try fill() }
        let body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        if headers.contains(where: { $0.0.lowercased() == "connection" && $0.1.lowercased() == "close" }) { disconnect() }
        return Response(status: status, headers: headers, body: body)
    }
}
