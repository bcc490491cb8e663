import FnboxSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small blocking HTTP/1.1 client over a Unix socket, for a CLI that makes a few calls and
/// exits (URLSession cannot dial a Unix socket). One connection, kept alive between requests;
/// reconnects when the daemon closed it.
public final class UnixSocketHTTPClient {
    /// A whole response, body read.
    public struct Response: Sendable {
        public var status: Int
        /// In arrival order; names as sent.
        public var headers: [(String, String)]
        public var body: [UInt8]

        public init(status: Int, headers: [(String, String)], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// The first header named `name`, ignoring case.
        public func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }
    }

    public let socketPath: String
    /// How long a read may wait. An invoke waits for the function (up to 900 s) and the queue.
    public var readTimeoutSeconds: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    /// - Parameters:
    ///   - socketPath: the daemon's socket; nothing is dialled until the first request.
    ///   - readTimeoutSeconds: the longest a single read may block.
    public init(socketPath: String, readTimeoutSeconds: Int = 1_000) {
        self.socketPath = socketPath
        self.readTimeoutSeconds = readTimeoutSeconds
    }

    deinit { disconnect() }

    public func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        buffer = []
    }

    /// Sends one request and reads its response.
    ///
    /// A request on a kept-alive connection that the daemon has closed in the meantime is sent
    /// again once on a new connection, as long as nothing of the response had arrived.
    /// - Parameters:
    ///   - method: `GET`, `POST`, ...
    ///   - target: the path and query, already percent-encoded.
    ///   - body: sent with its `Content-Length`.
    ///   - headers: extra request headers.
    /// - Throws: `FnboxClientError.cannotConnect` when the socket cannot be dialled,
    ///   `.connectionFailed` when a send or receive fails, `.malformedResponse` when the answer is not HTTP.
    public func send(_ method: String, _ target: String, body: [UInt8] = [], headers: [(String, String)] = []) throws(FnboxClientError) -> Response {
        let reused = fd >= 0
        do {
            return try exchange(method, target, body: body, headers: headers)
        } catch .connectionFailed(_, _, _) where reused {
            disconnect()
            return try exchange(method, target, body: body, headers: headers)
        }
    }

    private func exchange(_ method: String, _ target: String, body: [UInt8], headers: [(String, String)]) throws(FnboxClientError) -> Response {
        try connectIfNeeded()
        var head = "\(method) \(target) HTTP/1.1\r\nHost: fnboxd\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try writeAll(Array(head.utf8) + body)
        return try readResponse()
    }

    private func connectIfNeeded() throws(FnboxClientError) {
        guard fd < 0 else { return }
        let s: Int32
        do {
            s = try UnixSocket.connect(to: socketPath)
        } catch {
            throw .cannotConnect(socketPath: socketPath, errno: error.errno.rawValue)
        }
        var timeout = timeval(tv_sec: readTimeoutSeconds, tv_usec: 0)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        fd = s
    }

    private func writeAll(_ bytes: [UInt8]) throws(FnboxClientError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .connectionFailed(socketPath: socketPath, operation: "send", errno: errno) }
            offset += n
        }
    }

    /// Reads more bytes into `buffer`; false at end of stream.
    private func fill() throws(FnboxClientError) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .connectionFailed(socketPath: socketPath, operation: "recv", errno: errno) }
            buffer.append(contentsOf: chunk[0..<n])
            return n > 0
        }
    }

    private func readResponse() throws(FnboxClientError) -> Response {
        let headEnd = try readUntil(separator: Array("\r\n\r\n".utf8), nothingYet: true)
        let headText = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            disconnect()
            throw .malformedResponse("bad status line '\(statusLine.joined(separator: " "))'")
        }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let response = Response(status: status, headers: headers, body: [])
        var body: [UInt8]
        if status / 100 == 1 || status == 204 || status == 304 {
            // No body, whatever the headers say (RFC 9112 §6.3); NIO drops Content-Length on a 204.
            body = []
        } else if response.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            body = try readChunkedBody()
        } else if let lengthText = response.header("Content-Length") {
            guard let length = Int(lengthText), length >= 0 else { throw .malformedResponse("bad Content-Length '\(lengthText)'") }
            while buffer.count < length {
                guard try fill() else { throw .malformedResponse("the connection closed in the middle of the body") }
            }
            body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else {
            while try fill() {}
            body = buffer
            buffer = []
            disconnect()
        }
        if response.header("Connection")?.lowercased() == "close" { disconnect() }
        return Response(status: status, headers: headers, body: body)
    }

    /// The index where `separator` starts in `buffer`, reading until it is there.
    private func readUntil(separator: [UInt8], nothingYet: Bool = false) throws(FnboxClientError) -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= separator.count {
                for i in searchFrom...(buffer.count - separator.count) where buffer[i] == separator[0] {
                    if Array(buffer[i..<i + separator.count]) == separator { return i }
                }
                searchFrom = buffer.count - separator.count + 1
            }
            guard try fill() else {
                // A closed kept-alive connection before any byte of the answer: worth one retry.
                if nothingYet && buffer.isEmpty { throw .connectionFailed(socketPath: socketPath, operation: "recv", errno: ECONNRESET) }
                throw .malformedResponse("the connection closed before the response was complete")
            }
        }
    }

    private func readChunkedBody() throws(FnboxClientError) -> [UInt8] {
        var body: [UInt8] = []
        let crlf = Array("\r\n".utf8)
        while true {
            let lineEnd = try readUntil(separator: crlf)
            let sizeText = String(decoding: buffer[0..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw .malformedResponse("bad chunk size '\(sizeText)'")
            }
            buffer.removeFirst(lineEnd + 2)
            if size == 0 {
                // Trailer lines, if any, then the empty line that ends the message.
                while true {
                    let end = try readUntil(separator: crlf)
                    buffer.removeFirst(end + 2)
                    if end == 0 { return body }
                }
            }
            while buffer.count < size + 2 {
                guard try fill() else { throw .malformedResponse("the connection closed in the middle of a chunk") }
            }
            body.append(contentsOf: buffer[0..<size])
            buffer.removeFirst(size + 2)
        }
    }
}
